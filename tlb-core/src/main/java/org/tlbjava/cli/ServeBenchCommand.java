package org.tlbjava.cli;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.tlbjava.TlbException;
import org.tlbjava.bench.LoadBenchmark;
import org.tlbjava.bench.TrainingBenchmark;
import org.tlbjava.serve.ModelRegistry;
import org.tlbjava.serve.ServeLimits;
import org.tlbjava.serve.TlbServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Load-test tlb serve on loopback: requests/s and p50/p99 latency of single-image requests at"
                + " several concurrencies, with and without dynamic batching, errors, peak memory.")
final class ServeBenchCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--concurrency", split = ",", description = "Concurrent clients (default ${DEFAULT-VALUE}).", defaultValue = "1,8,32")
    List<Integer> concurrency;

    @Option(names = "--seconds", description = "Measured seconds per concurrency, after a warm-up (default ${DEFAULT-VALUE}).", defaultValue = "5")
    int seconds;

    @Mixin
    ServeEngineOptions engineOptions;

    @Option(names = "--batch-size", description = "batch_size with batching on (default ${DEFAULT-VALUE}).", defaultValue = "32")
    int batchSize;

    @Option(names = "--max-batch-delay", paramLabel = "MS", description = "max_batch_delay with batching on (default ${DEFAULT-VALUE} ms).", defaultValue = "5")
    int maxBatchDelay;

    @Option(names = "--json", description = "End with one JSON line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (seconds <= 0 || concurrency.stream().anyMatch(c -> c <= 0)) {
            throw new TlbException("--seconds and --concurrency must be positive");
        }
        byte[] png = png(32, 42);
        List<Map<String, Object>> rows = new ArrayList<>();
        System.out.printf(Locale.ROOT, "%-9s %11s %9s %8s %8s %8s%n", "batching", "concurrency", "req/s", "p50 ms",
                "p99 ms", "errors");
        for (boolean batching : new boolean[] {true, false}) {
            ServeLimits limits = engineOptions.applyTo(ServeLimits.DEFAULT)
                    .withBatching(batching ? batchSize : 1, batching ? maxBatchDelay : 0);
            Path run = modelOptions.model;
            try (TlbServer server = new TlbServer(new ModelRegistry(null, List.of(run), limits), limits)
                    .start("127.0.0.1", 0)) {
                String name = run.toAbsolutePath().normalize().getFileName().toString();
                LoadBenchmark load = new LoadBenchmark(URI.create("http://127.0.0.1:" + server.port() + "/predictions/"
                        + name + "?topk=1"), "image/png", png);
                for (int c : concurrency) {
                    load.run(c, Duration.ofSeconds(1)); // warm-up: model load, JIT, connections
                    LoadBenchmark.Result r = load.run(c, Duration.ofSeconds(seconds));
                    System.out.printf(Locale.ROOT, "%-9s %11d %9.1f %8.1f %8.1f %8d%n", batching ? "on" : "off", c,
                            r.requestsPerSecond(), r.p50Ms(), r.p99Ms(), r.errors());
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("batching", batching);
                    row.put("concurrency", c);
                    row.put("requests", r.requests());
                    row.put("errors", r.errors());
                    row.put("requests_per_sec", r.requestsPerSecond());
                    row.put("p50_ms", r.p50Ms());
                    row.put("p99_ms", r.p99Ms());
                    rows.add(row);
                }
            }
        }
        long peak = TrainingBenchmark.peakRssMb();
        System.out.println("peak resident memory (server and clients, one process): " + peak + " MB");
        if (json) {
            System.out.println(Json.line(Map.of("results", rows, "peak_rss_mb", peak, "engine", engineOptions.engine,
                    "workers", engineOptions.workers, "batch_size", batchSize, "max_batch_delay_ms", maxBatchDelay,
                    "seconds", seconds)));
        }
        return 0;
    }

    /** A side x side PNG of noise: a CIFAR-sized request body. */
    private static byte[] png(int side, long seed) throws IOException {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                image.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
