package org.tlbjava.cli;

import java.io.IOException;
import java.util.concurrent.Callable;
import org.tlbjava.train.ConsoleProgress;
import org.tlbjava.train.Run;
import org.tlbjava.train.Training;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a TLB classifier (defaults: the reference's 30-epoch CIFAR-10 run), or resume one.",
            "Every config key, its default and meaning: tlb config."})
final class TrainCommand implements Callable<Integer> {
    @Mixin
    TrainOptions options;

    @Override
    public Integer call() throws IOException {
        return options.report(options.resume() != null ? resumeRun() : newRun());
    }

    private Run newRun() throws IOException {
        TrainOptions.NewRun run = options.newRun(options.layers());
        return Training.start(run.config(), run.batch(), run.data(), run.out(), ConsoleProgress.console());
    }

    private Run resumeRun() throws IOException {
        return Training.resume(options.resume(), options.resumeHow(), ConsoleProgress.console());
    }
}
