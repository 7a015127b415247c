package org.tlbjava.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.DataLocator;
import org.tlbjava.data.ImageSet;
import org.tlbjava.data.Splits;
import org.tlbjava.train.DataRecord;
import org.tlbjava.train.RunDirectory;
import picocli.CommandLine.Option;

/** {@code --data DIR --split val|test --whole-split}: the images a trained model is run on. */
final class SplitOptions {
    @Option(names = "--data", paramLabel = "DIR", description = "Data to use (default: the run's own, as data.json records it;"
            + " for older runs $TLB_DATA, else ~/.cache/tlb).")
    String data;

    @Option(names = "--split", description = "val or test (default ${DEFAULT-VALUE}).", defaultValue = "val")
    String split;

    @Option(names = "--whole-split", description = "Every image of the split, not the sample the run's train_limit/val_limit chose.")
    boolean wholeSplit;

    /**
     * The split of the run's data (or --data) sampled as the run sampled it, so that accuracies
     * compare with the run's val_accuracy; checked against the model's classes. Says which data
     * and how many images on {@code say}.
     */
    ImageSet load(RunConfig runConfig, List<String> modelClasses, Path runDir, java.util.function.Consumer<String> say) {
        if (!split.equals("val") && !split.equals("test")) {
            throw new UsageException("--split must be val or test, got '" + split + "'");
        }
        DataRecord recorded = data == null ? new RunDirectory(runDir).readData() : null;
        String source = data != null ? data : recorded != null ? recorded.path() : null;
        RunConfig config = wholeSplit ? runConfig.with("train_limit=0", "val_limit=0") : runConfig;
        Splits splits = new DataLocator().load(source, config);
        if (!splits.classes().equals(modelClasses)) {
            throw new TlbException("the data's classes " + splits.classes() + " differ from the model's " + modelClasses);
        }
        ImageSet set = splits.split(split);
        int limit = split.equals("val") ? config.data().valLimit() : 0;
        say.accept(String.format(Locale.ROOT, "Data: %s%s; %s split: %,d images%s", splits.source(),
                recorded != null ? " (the run's, from data.json)" : "", split, set.size(),
                limit > 0 && set.size() == limit ? " (the run's val_limit sample; --whole-split for all)" : ""));
        return set;
    }
}
