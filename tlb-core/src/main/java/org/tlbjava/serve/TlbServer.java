package org.tlbjava.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.handler.EagerContentHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tlbjava.TlbException;
import org.tlbjava.explain.Prediction;
import org.tlbjava.explain.TlbClassifier;

/**
 * The HTTP server of {@code tlb serve}: DJL Serving's inference API ({@code /ping},
 * {@code /models}, {@code /predictions/{model}}), the JSON the web pages read ({@code /api/...})
 * and the pages themselves, served from the jar. Handlers only translate between HTTP and
 * {@link ModelRegistry}; every error leaves as {@code {"code","type","message"}}.
 */
public final class TlbServer implements AutoCloseable {
    static final String WEB = "/org/tlbjava/serve/web";
    private static final int DEFAULT_TOPK = 5;
    private static final Logger LOG = LoggerFactory.getLogger(TlbServer.class);

    /** Room in the eagerly read body for multipart framing around an image of the largest size. */
    private static final long MULTIPART_SLACK = 64 << 10;

    private final ModelRegistry registry;
    private final ServeLimits limits;
    private final ImageMemory imageMemory;
    private final Javalin app;

    public TlbServer(ModelRegistry registry, ServeLimits limits) {
        this.registry = registry;
        this.limits = limits;
        this.imageMemory = new ImageMemory(limits.imageMemoryBytes());
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.http.prefer405over404 = true;
            config.jetty.modifyServer(server -> {
                // Jetty reads a body without holding a thread before the handler runs, so slow
                // uploads cannot take the threads /ping needs; the deadline bounds how long they
                // take and the cap how many there are (each may hold up to --max-body-mb)
                server.insertHandler(new EagerContentHandler(new EagerContentHandler.RetainedContentLoaderFactory(
                        limits.maxBodyBytes() + MULTIPART_SLACK, -1, false)));
                server.insertHandler(new UploadDeadline(limits.uploadTimeoutMs()));
                server.addBean(new NetworkConnectionLimit(limits.maxConnections(), server));
            });
            config.jetty.multipartConfig.maxFileSize(limits.maxBodyBytes(), SizeUnit.BYTES);
            config.jetty.multipartConfig.maxTotalRequestSize(limits.maxBodyBytes(), SizeUnit.BYTES);
            config.staticFiles.add(WEB, Location.CLASSPATH);
            config.routes.get("/ping", this::ping);
            config.routes.get("/models", ctx -> json(ctx, Map.of("models", models())));
            config.routes.post("/predictions/{model}", this::predict);
            config.routes.get("/api/runs", ctx -> json(ctx, runs()));
            config.routes.get("/api/runs/{run}", ctx -> json(ctx, runPage(ctx.pathParam("run"))));
            config.routes.get("/api/runs/{run}/images/{kind}", this::runImage);
            config.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e));
            config.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("request {} {} failed", ctx.method(), ctx.path(), e);
                error(ctx, ApiError.internal("internal error: " + e));
            });
            config.routes.error(405, ctx -> error(ctx, ApiError.methodNotAllowed(ctx.method() + " is not allowed on "
                    + ctx.path())));
            config.routes.error(404, ctx -> { // unknown paths; 404s of ours are JSON already
                if (!String.valueOf(ctx.res().getContentType()).startsWith("application/json")) {
                    error(ctx, ApiError.notFound("no such page or endpoint: " + ctx.path()));
                }
            });
        });
    }

    /** Starts listening; port 0 picks a free one (see {@link #port()}). */
    public TlbServer start(String host, int port) {
        try {
            app.start(host, port);
        } catch (RuntimeException e) {
            throw new TlbException("cannot listen on " + host + ":" + port + ": " + rootMessage(e));
        }
        return this;
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null) {
            e = e.getCause();
        }
        return e.getMessage();
    }

    public int port() {
        return app.port();
    }

    /** Healthy unless a loaded model has lost its workers: then 503, as its requests would wait forever. */
    private void ping(Context ctx) throws JsonProcessingException {
        List<String> stopped = registry.stopped();
        if (stopped.isEmpty()) {
            json(ctx, Map.of("health", "healthy!"));
        } else {
            ctx.status(503);
            json(ctx, Map.of("health", "unhealthy!", "message", "no worker is running for model(s) " + stopped));
        }
    }

    private List<Map<String, Object>> models() {
        List<Map<String, Object>> models = new ArrayList<>();
        for (RunInfo run : registry.runs()) {
            Map<String, Object> summary = run.summary();
            if (Boolean.TRUE.equals(summary.get("has_model"))) {
                Map<String, Object> model = new LinkedHashMap<>();
                model.put("name", run.name());
                model.put("variant", summary.get("variant"));
                model.put("classes", run.classes());
                model.put("val_accuracy", summary.get("best_val_accuracy"));
                models.add(model);
            }
        }
        return models;
    }

    private List<Map<String, Object>> runs() {
        List<Map<String, Object>> runs = new ArrayList<>();
        for (RunInfo run : registry.runs()) {
            try {
                runs.add(run.summary());
            } catch (TlbException e) {
                runs.add(Map.of("name", run.name(), "state", "unreadable", "error", e.getMessage()));
            }
        }
        return runs;
    }

    private Map<String, Object> runPage(String name) {
        RunInfo run = registry.run(name);
        Map<String, Object> page = run.page();
        Map<String, String> images = new LinkedHashMap<>();
        run.images().keySet().forEach(kind -> images.put(kind, "/api/runs/" + name + "/images/" + kind));
        page.put("images", images);
        return page;
    }

    private void runImage(Context ctx) throws IOException {
        Path file = registry.run(ctx.pathParam("run")).images().get(ctx.pathParam("kind"));
        if (file == null) {
            throw ApiError.notFound("run '" + ctx.pathParam("run") + "' has no " + ctx.pathParam("kind") + " image");
        }
        ctx.contentType("image/png").result(Files.readAllBytes(file));
    }

    private void predict(Context ctx) throws JsonProcessingException {
        String name = ctx.pathParam("model");
        registry.run(name); // 404 before the image is decoded
        int topk = topk(ctx.queryParam("topk"));
        boolean attention = "true".equalsIgnoreCase(ctx.queryParam("attention"));
        byte[] body = ImageInput.body(ctx, limits.maxBodyBytes());
        try (ImageInput.Decoded decoded = ImageInput.decode(body, limits, imageMemory)) {
            BufferedImage image = decoded.image();
            TlbClassifier classifier = registry.classifier(name);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limits.timeoutMs());
            Prediction prediction = await(registry.batcher(name).submit(image), deadline, "prediction");
            List<Map<String, Object>> ranked = new ArrayList<>();
            for (int c : prediction.top(topk)) {
                ranked.add(Map.of("class", classifier.classes().get(c), "probability", prediction.probabilities()[c]));
            }
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("predictions", ranked);
            if (attention) {
                float[][] heat = await(registry.attention(name).submit(image), deadline, "attention map");
                answer.put("attention", AttentionPicture.base64Png(image, heat));
            }
            json(ctx, answer);
        }
    }

    private static int topk(String value) {
        if (value == null) {
            return DEFAULT_TOPK;
        }
        try {
            int k = Integer.parseInt(value);
            if (k > 0) {
                return k;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiError.badRequest("topk must be a positive whole number, got '" + value + "'");
    }

    /** The result, if it comes before {@code deadline} (System.nanoTime), else 503 naming {@code what} did not come. */
    private <T> T await(CompletableFuture<T> result, long deadline, String what) {
        try {
            return result.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            result.cancel(false); // the batcher skips it if it is still queued
            throw ApiError.busy("no " + what + " within the request timeout of " + limits.timeoutMs() + " ms; retry later");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ApiError error) {
                throw error;
            }
            if (e.getCause() instanceof OutOfMemoryError) { // the batcher's worker survives it
                throw ApiError.busy("not enough memory for this request's batch now; retry later");
            }
            throw new IllegalStateException("prediction failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.busy("the server is shutting down");
        }
    }

    private static void json(Context ctx, Object value) throws JsonProcessingException {
        ctx.contentType("application/json").result(RunInfo.JSON.writeValueAsString(value));
    }

    private static void error(Context ctx, ApiError e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", e.code());
        body.put("type", e.type());
        body.put("message", e.getMessage());
        ctx.status(e.code());
        try {
            json(ctx, body);
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    @Override
    public void close() {
        app.stop();
        registry.close();
    }
}
