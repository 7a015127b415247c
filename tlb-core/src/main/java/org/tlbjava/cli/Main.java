package org.tlbjava.cli;

import java.io.PrintWriter;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tlb} command: train, evaluate, explain and serve Temporal Latent Bottleneck classifiers. */
@Command(name = "tlb", mixinStandardHelpOptions = true, version = "tlb 0.1.0",
        description = "Temporal Latent Bottleneck image classifiers (Didolkar et al., NeurIPS 2022) on the JVM.",
        subcommands = {DataCommand.class, ConfigCommand.class, SummaryCommand.class, TrainCommand.class, EvaluateCommand.class,
            PredictCommand.class, AttentionCommand.class, BenchCommand.class, ServeCommand.class, ReportCommand.class,
            ExportCommand.class})
public final class Main implements Runnable {
    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * Runs the CLI and returns its exit code: 0 success; 1 failure (bad data or files, an error
     * while working); 2 bad usage (an unknown option, a bad option or config value).
     */
    public static int execute(String... args) {
        return execute(new Main(), args);
    }

    /**
     * Runs a picocli {@code command} with the tool's error messages (prefixed with the command's
     * name, without a stack trace) and exit codes; also the entry of {@code tlb-spark}.
     */
    public static int execute(Object command, String... args) {
        CommandLine cli = new CommandLine(command);
        String tool = cli.getCommandName();
        cli.setParameterExceptionHandler((e, a) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println(tool + ": " + e.getMessage());
            err.println("See '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, c, parsed) -> {
            PrintWriter err = c.getErr();
            Throwable cause = e;
            while (!(cause instanceof TlbException) && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof TlbException) {
                err.println(tool + ": error: " + cause.getMessage());
                if (cause instanceof UsageException) {
                    err.println("See '" + c.getCommandSpec().qualifiedName() + " --help'.");
                    err.flush();
                    return 2;
                }
            } else {
                err.println(tool + ": internal error: " + e);
                if (System.getenv("TLB_DEBUG") != null) {
                    e.printStackTrace(err);
                }
            }
            err.flush();
            return 1;
        });
        return cli.execute(args);
    }
}
