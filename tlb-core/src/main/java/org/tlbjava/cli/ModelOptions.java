package org.tlbjava.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model RUN_DIR}, shared by the commands that use a trained model (tlb-spark's too). */
public final class ModelOptions {
    @Option(names = "--model", paramLabel = "RUN_DIR", required = true, description = "Run directory written by tlb train.")
    public Path model;
}
