package org.tlbjava.export;

import static org.tlbjava.export.OnnxFixtures.*;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.config.RunConfig;
import org.tlbjava.explain.TlbClassifier;

/**
 * Images/s of the exported default model in ONNX Runtime (2 threads) against the tool's own
 * inference (TlbClassifier.predictAll, the run's mixed precision) in the same JVM, at batch 1,
 * 32 and 256 (each with the preprocessing), and the file's size and opening time. Opt-in
 * (docs/PERFORMANCE.md): {@code mvn -B -q test -Dtest=OnnxBenchmark -Dtlb.bench=true}.
 */
@EnabledIfSystemProperty(named = "tlb.bench", matches = "true")
class OnnxBenchmark {
    private static final double SECONDS_PER_MEASURE = 2;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void onnxRuntimeAgainstTheToolsInference() throws Exception {
        Path run = run(tmp.resolve("run"), RunConfig.defaults());
        byte[] pixels = images(256);
        List<BufferedImage> images = bufferedImages(pixels);
        Path dynamic = tmp.resolve("dynamic.onnx");
        Path fixed = tmp.resolve("fixed.onnx");
        try (TlbClassifier classifier = TlbClassifier.load(run)) {
            classifier.exportOnnx(dynamic);
            classifier.exportOnnx(fixed, new OnnxOptions(256, false));
            report("file size %,d bytes; the tool runs with mixed_precision %s", Files.size(dynamic),
                    classifier.config().train().mixedPrecision());
            report("fixed-batch file: session opened in %.1f s", secondsToOpen(fixed));
            long start = System.nanoTime();
            try (OnnxFixtures.Runtime ort = new OnnxFixtures.Runtime(dynamic)) {
                report("dynamic-batch file: session opened in %.1f s", (System.nanoTime() - start) / 1e9);
                for (int batch : new int[] {1, 32, 256}) {
                    List<BufferedImage> some = images.subList(0, batch);
                    byte[] input = Arrays.copyOf(pixels, batch * 3 * 32 * 32);
                    report("batch %d: tool %.0f images/s, ONNX Runtime %.0f images/s", batch,
                            imagesPerSecond(batch, () -> classifier.predictAll(some)),
                            imagesPerSecond(batch, () -> ort.run(input, batch, 32)));
                }
            }
        }
    }

    private static double secondsToOpen(Path file) throws Exception {
        long start = System.nanoTime();
        try (OnnxFixtures.Runtime ort = new OnnxFixtures.Runtime(file)) {
            return (System.nanoTime() - start) / 1e9;
        }
    }

    /** A call that classifies one batch. */
    @FunctionalInterface
    interface Pass {
        void run() throws Exception;
    }

    /** One warm-up pass, then at least three and as many as fit in a few seconds. */
    private static double imagesPerSecond(int batch, Pass pass) throws Exception {
        pass.run();
        long start = System.nanoTime();
        int passes = 0;
        while (passes < 3 || System.nanoTime() - start < SECONDS_PER_MEASURE * 1e9) {
            pass.run();
            passes++;
        }
        return passes * batch / ((System.nanoTime() - start) / 1e9);
    }

    private static void report(String format, Object... args) {
        System.out.println("BENCH " + String.format(Locale.ROOT, format, args));
    }
}
