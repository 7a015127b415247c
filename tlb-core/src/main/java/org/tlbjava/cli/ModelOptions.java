package org.tlbjava.cli;

import java.nio.file.Path;
import org.tlbjava.model.SavedModel;
import picocli.CommandLine.Option;

/** {@code --model RUN_DIR}, shared by the commands that use a trained model (tlb-spark's too). */
public final class ModelOptions {
    @Option(names = "--model", paramLabel = "RUN_DIR", required = true, description = "Run directory written by tlb train (its model.params), or one of its weight files: RUN/best.params.")
    public Path model;

    /** The run directory, also when --model names one of its weight files. */
    public Path run() {
        return SavedModel.runDirectory(model);
    }
}
