package org.tlbjava.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;
import org.tlbjava.serve.ModelRegistry;
import org.tlbjava.serve.ServeLimits;
import org.tlbjava.serve.TlbServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Web pages for runs (live curves, confusion matrix, attention, try-it) and an HTTP API for"
                + " their models, as DJL Serving's: GET /ping, GET /models, POST /predictions/{model}.")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--runs", paramLabel = "DIR", description = "Directory of run directories (default: runs, when no --model is given).")
    Path runs;

    @Option(names = "--model", paramLabel = "RUN_DIR", description = "A run directory to serve (repeatable); its name is the directory's.")
    List<Path> models = new ArrayList<>();

    @Option(names = "--host", description = "Address to listen on (default ${DEFAULT-VALUE}; 0.0.0.0 for every interface). On a loopback"
            + " address only requests to localhost, 127.x.x.x, [::1] or this name are answered.", defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--port", description = "Port (default ${DEFAULT-VALUE}; 0 picks a free one).", defaultValue = "8080")
    int port;

    @Mixin
    ServeEngineOptions engineOptions;

    @Option(names = "--batch-size", description = "Most requests per forward pass (default ${DEFAULT-VALUE}; 1: no batching).", defaultValue = "32")
    int batchSize;

    @Option(names = "--max-batch-delay", paramLabel = "MS", description = "How long a batch waits for more requests (default ${DEFAULT-VALUE} ms).", defaultValue = "5")
    int maxBatchDelay;

    @Option(names = "--max-queue", paramLabel = "N", description = "Requests waiting per model before 503 (default ${DEFAULT-VALUE}).", defaultValue = "256")
    int maxQueue;

    @Option(names = "--timeout", paramLabel = "MS", description = "Longest wait for a prediction before 503 (default ${DEFAULT-VALUE} ms).", defaultValue = "30000")
    int timeout;

    @Option(names = "--max-body-mb", paramLabel = "MB", description = "Largest request body (default ${DEFAULT-VALUE} MB).", defaultValue = "10")
    int maxBodyMb;

    @Option(names = "--max-pixels", paramLabel = "N", description = "Largest image, width x height (default ${DEFAULT-VALUE}).", defaultValue = "40000000")
    long maxPixels;

    @Option(names = "--image-memory-mb", paramLabel = "MB", description = "Memory the decoded images of all requests in progress may take; over it, 503 (default: half the heap, here ${DEFAULT-VALUE} MB).")
    long imageMemoryMb = ServeLimits.DEFAULT.imageMemoryBytes() >> 20;

    @Option(names = "--decode-timeout", paramLabel = "MS", description = "Longest time to decode one image before 503 (default ${DEFAULT-VALUE} ms).", defaultValue = "10000")
    int decodeTimeout;

    @Option(names = "--upload-timeout", paramLabel = "MS", description = "Longest time a request's body may take to arrive before 408 (default ${DEFAULT-VALUE} ms).", defaultValue = "30000")
    int uploadTimeout;

    @Option(names = "--max-connections", paramLabel = "N", description = "Open connections; more clients wait to be accepted (default ${DEFAULT-VALUE}).", defaultValue = "512")
    int maxConnections;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) {
            throw new UsageException("--port must be 0 to 65535, got " + port);
        }
        ServeLimits limits = new ServeLimits(engineOptions.engine(), engineOptions.workers, batchSize, maxBatchDelay,
                maxQueue, timeout, (long) maxBodyMb << 20, maxPixels, maxConnections, uploadTimeout, imageMemoryMb << 20,
                decodeTimeout);
        Path runsDir = runs != null ? runs : models.isEmpty() ? Path.of("runs") : null;
        if (runsDir != null && !Files.isDirectory(runsDir)) {
            throw new TlbException((runs != null ? "--runs " : "no --runs or --model given, and ") + runsDir
                    + " is not a directory; train a run with tlb train --out runs/NAME, or give --runs DIR or --model RUN_DIR");
        }
        TlbServer server = new TlbServer(new ModelRegistry(runsDir, models, limits), limits).start(host, port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        System.out.println("Serving on http://" + host + ":" + server.port() + "/  (Ctrl-C stops)");
        stopped.await();
        return 0;
    }
}
