package org.tlbjava.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tlbjava.cli.Main;
import org.tlbjava.io.AtomicFiles;

/**
 * A runs directory for the serve tests, made once per test JVM through the {@code tlb} command:
 * {@value #RUN}, a small model (embed_dim 16) trained {@value #EPOCHS} epochs on synthetic
 * CIFAR-format data, with its confusion matrix and attention grid. It runs in float32
 * ({@code mixed_precision=false}) on every CPU, so the tests that compare two engines or two
 * batchings of it hold at float32 tolerances on AMX Xeons as on AMD EPYCs.
 */
public final class TrainedRuns {
    public static final String RUN = "tiny";
    public static final int EPOCHS = 2;
    private static Path runsDir;

    private TrainedRuns() {}

    public static synchronized Path runsDir() throws IOException {
        if (runsDir == null) {
            Path root = Files.createTempDirectory("tlb-serve-test");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> AtomicFiles.deleteTree(root)));
            Path data = root.resolve("data");
            Synthetic.cifarDir(data, 60, false);
            Path run = root.resolve("runs").resolve(RUN);
            tlb("train", "--data", data.toString(), "--set", "train_slice=240", "--set", "embed_dim=16", "--set", "mixed_precision=false", "--set",
                    "key_dim=16", "--batch-size", "32", "--lr", "0.003", "--epochs", Integer.toString(EPOCHS), "--out",
                    run.toString());
            tlb("evaluate", "--model", run.toString(), "--data", data.toString());
            tlb("attention", "--model", run.toString(), "--data", data.toString(), "--count", "4");
            runsDir = root.resolve("runs");
        }
        return runsDir;
    }

    private static void tlb(String... args) {
        int code = Main.execute(args);
        if (code != 0) {
            throw new IllegalStateException("tlb " + String.join(" ", args) + " exited with " + code);
        }
    }
}
