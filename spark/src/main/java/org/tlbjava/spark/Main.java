package org.tlbjava.spark;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tlb-spark} command: batch prediction, evaluation, training sweeps and data-parallel training on Apache Spark. */
@Command(name = "tlb-spark", mixinStandardHelpOptions = true, version = "tlb-spark 0.1.0",
        description = "TLB classifiers on Apache Spark: the same command on a laptop (local[*]) and on a cluster.",
        subcommands = {PredictCommand.class, EvaluateCommand.class, SweepCommand.class, TrainCommand.class})
public final class Main implements Runnable {
    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command with tlb's exit codes: 0 success, 1 failure, 2 bad usage. */
    public static int execute(String... args) {
        return org.tlbjava.cli.Main.execute(new Main(), args);
    }
}
