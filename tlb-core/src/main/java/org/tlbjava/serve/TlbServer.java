package org.tlbjava.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import java.awt.image.BufferedImage;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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

/**
 * The HTTP server of {@code tlb serve}: DJL Serving's inference API ({@code /ping},
 * {@code /models}, {@code /predictions/{model}}), the JSON the web pages read ({@code /api/...})
 * and the pages themselves, served from the jar (the runs list, a run, runs overlaid at
 * {@code /compare?runs=a,b}, try-it). Handlers only translate between HTTP and
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
    private volatile HostCheck hostCheck = HostCheck.ANY;

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
            config.routes.before(ctx -> { // pages and files too
                if (!hostCheck.accepts(ctx.header("Host"))) {
                    throw ApiError.forbidden(hostCheck.refusal(ctx.header("Host")));
                }
            });
            config.routes.get("/ping", this::ping);
            config.routes.get("/models", ctx -> json(ctx, models()));
            config.routes.post("/predictions/{model}", this::predict);
            config.routes.get("/compare", ctx -> ctx.html(RunReport.resource("compare.html"))); // ?runs=a,b,c
            config.routes.get("/api/runs", ctx -> json(ctx, runs()));
            config.routes.get("/api/runs/{run}", ctx -> json(ctx, runPage(ctx.pathParam("run"))));
            config.routes.get("/api/runs/{run}/images/{kind}", this::runImage);
            config.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e));
            // a run whose files cannot be read is skipped like a missing one; the message names the file, not its content
            config.routes.exception(RunInfo.Unreadable.class, (e, ctx) -> error(ctx, ApiError.notFound(e.getMessage())));
            config.routes.exception(Exception.class, (e, ctx) -> {
                // the client learns nothing of the server (class names, paths); the log has it all under the id
                String id = UUID.randomUUID().toString().substring(0, 8);
                LOG.error("request {} {} failed (error {})", ctx.method(), ctx.path(), id, e);
                error(ctx, ApiError.internal("internal error " + id + "; the server's log has the details"));
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
            hostCheck = HostCheck.listeningOn(host);
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

    /** DJL Serving's model list; runs whose files cannot be read are left out and named under "unreadable". */
    private Map<String, Object> models() {
        List<Map<String, Object>> models = new ArrayList<>();
        List<Map<String, Object>> unreadable = new ArrayList<>();
        for (RunInfo run : registry.runs()) {
            try {
                Map<String, Object> summary = run.summary();
                if (Boolean.TRUE.equals(summary.get("has_model"))) {
                    Map<String, Object> model = new LinkedHashMap<>();
                    model.put("name", run.name());
                    model.put("variant", summary.get("variant"));
                    model.put("classes", run.classes());
                    model.put("val_accuracy", summary.get("best_val_accuracy"));
                    models.add(model);
                }
            } catch (RunInfo.Unreadable e) {
                unreadable.add(Map.of("name", run.name(), "error", e.getMessage()));
            }
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("models", models);
        answer.put("unreadable", unreadable);
        return answer;
    }

    private List<Map<String, Object>> runs() {
        List<Map<String, Object>> runs = new ArrayList<>();
        for (RunInfo run : registry.runs()) {
            try {
                runs.add(run.summary());
            } catch (RunInfo.Unreadable e) {
                runs.add(Map.of("name", run.name(), "state", "unreadable", "error", e.getMessage()));
            }
        }
        return runs;
    }

    private Map<String, Object> runPage(String name) {
        RunInfo run = registry.run(name);
        Map<String, Object> page = run.page();
        Map<String, String> images = new LinkedHashMap<>();
        String path = "/api/runs/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20") + "/images/";
        run.images().keySet().forEach(kind -> images.put(kind, path + kind));
        page.put("images", images);
        return page;
    }

    private void runImage(Context ctx) {
        ctx.contentType("image/png").result(registry.run(ctx.pathParam("run")).image(ctx.pathParam("kind")));
    }

    private void predict(Context ctx) throws JsonProcessingException {
        String name = ctx.pathParam("model");
        registry.run(name); // 404 before the image is decoded
        int topk = topk(ctx.queryParam("topk"));
        boolean attention = "true".equalsIgnoreCase(ctx.queryParam("attention"));
        byte[] body = ImageInput.body(ctx, limits.maxBodyBytes());
        try (ImageInput.Decoded decoded = ImageInput.decode(body, limits, imageMemory);
                ServedModel.Use use = registry.use(name)) {
            BufferedImage image = decoded.image();
            ServedModel model = use.model();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limits.timeoutMs());
            Prediction prediction = await(model.batcher().submit(image), deadline, "prediction");
            List<Map<String, Object>> ranked = new ArrayList<>();
            for (int c : prediction.top(topk)) {
                ranked.add(Map.of("class", model.classes().get(c), "probability", prediction.probabilities()[c]));
            }
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("predictions", ranked);
            if (attention) {
                float[][] heat = await(model.attention().submit(image), deadline, "attention map");
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
