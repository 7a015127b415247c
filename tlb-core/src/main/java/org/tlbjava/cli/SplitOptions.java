package org.tlbjava.cli;

import java.util.List;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.DataLocator;
import org.tlbjava.data.ImageSet;
import org.tlbjava.data.Splits;
import picocli.CommandLine.Option;

/** {@code --data DIR --split val|test}: the images a trained model is run on. */
final class SplitOptions {
    @Option(names = "--data", paramLabel = "DIR", description = "Data to use (default: $TLB_DATA, else ~/.cache/tlb).")
    String data;

    @Option(names = "--split", description = "val or test (default ${DEFAULT-VALUE}).", defaultValue = "val")
    String split;

    /** The whole split (the training run's limits do not apply), checked against the model's classes. */
    ImageSet load(RunConfig modelConfig, List<String> modelClasses) {
        if (!split.equals("val") && !split.equals("test")) {
            throw new UsageException("--split must be val or test, got '" + split + "'");
        }
        RunConfig config = modelConfig.with("train_limit=0", "val_limit=0");
        Splits splits = new DataLocator().load(data, config);
        if (!splits.classes().equals(modelClasses)) {
            throw new TlbException("the data's classes " + splits.classes() + " differ from the model's " + modelClasses);
        }
        return splits.split(split);
    }
}
