package org.tlbjava.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.tlbjava.TlbException;
import org.tlbjava.io.OutputFiles;
import org.tlbjava.serve.RunReport;
import org.tlbjava.train.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write a run's page (config, loss/accuracy curves, confusion matrix, attention grid) as one self-contained HTML file.")
final class ReportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "Run directory written by tlb train.")
    Path run;

    @Option(names = "--out", paramLabel = "FILE", description = "HTML file to write (default: RUN_DIR/report.html).")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(run)) {
            throw new TlbException(run + " is not a directory");
        }
        Path file = out != null ? out : run.resolve("report.html");
        OutputFiles.check("--out", file, RunDirectory.ownFiles(run));
        RunReport.write(run, file);
        System.out.println(file);
        return 0;
    }
}
