package org.tlbjava.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tlbjava.TlbException;
import org.tlbjava.train.EvaluationReport;
import org.tlbjava.train.RunProgress;

/**
 * What a run directory says about itself, read from its JSON files as they are on disk (a run
 * that is training rewrites them after every epoch). History keys are returned in snake_case
 * whether the file has them so ({@code val_loss}) or in the older camelCase ({@code valLoss}).
 */
public final class RunInfo {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Written by {@code tlb evaluate} and {@code tlb attention}. */
    private static final List<Map.Entry<String, String>> IMAGE_FILES =
            List.of(Map.entry("confusion", "confusion.png"), Map.entry("attention", "attention/grid.png"));

    private final String name;
    private final Path dir;

    public RunInfo(String name, Path dir) {
        this.name = name;
        this.dir = dir;
    }

    public String name() {
        return name;
    }

    public Path dir() {
        return dir;
    }

    /** {@code config.json} as written by the run. */
    public JsonNode config() {
        return read("config.json");
    }

    public List<String> classes() {
        List<String> classes = new ArrayList<>();
        read("classes.json").forEach(c -> classes.add(c.asText()));
        return classes;
    }

    /** One map per finished epoch; empty before the first epoch ends. */
    public List<Map<String, Object>> history() {
        if (!Files.exists(dir.resolve("history.json"))) {
            return List.of();
        }
        List<Map<String, Object>> epochs = new ArrayList<>();
        for (JsonNode record : read("history.json")) {
            Map<String, Object> epoch = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = record.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                epoch.put(snakeCase(field.getKey()), JSON.convertValue(field.getValue(), Object.class)); // lists too
            }
            epochs.add(epoch);
        }
        return epochs;
    }

    static String snakeCase(String key) {
        return key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Name, variant, epochs done of planned, best validation accuracy, start time and training
     * time (null for runs that predate {@code progress.json}), state (training, finished or
     * stopped), and while it trains, {@code progress}: where it is within its epoch and its ETA.
     */
    public Map<String, Object> summary() {
        JsonNode config = config();
        List<Map<String, Object>> history = history();
        RunProgress.Snapshot progress = RunProgress.read(dir);
        // a resumed run extended with --epochs says so in its progress, not in its config
        int planned = progress != null ? progress.epochs() : config.path("epochs").asInt();
        Double best = null;
        for (Map<String, Object> epoch : history) {
            if (epoch.get("val_accuracy") instanceof Number n && (best == null || n.doubleValue() > best)) {
                best = n.doubleValue();
            }
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("name", name);
        summary.put("variant", config.path("variant").asText("keras"));
        summary.put("epochs", history.size());
        summary.put("planned_epochs", planned);
        summary.put("best_val_accuracy", best);
        String state = state(history.size() >= planned, progress);
        summary.put("state", state);
        summary.put("started", progress == null ? null : progress.started());
        summary.put("seconds", progress == null ? null : progress.seconds());
        summary.put("progress", RunProgress.TRAINING.equals(state) ? progress : null);
        summary.put("has_model", Files.exists(dir.resolve("model.params")));
        return summary;
    }

    /**
     * Finished when every planned epoch is done; else training while the process that wrote the
     * progress file says so and still lives (checked on this host; a run on another host is taken
     * at its word), stopped otherwise. A run without the file is training until it is finished, as
     * before the file existed.
     */
    private static String state(boolean allEpochsDone, RunProgress.Snapshot progress) {
        if (allEpochsDone) {
            return RunProgress.FINISHED;
        }
        if (progress == null) {
            return RunProgress.TRAINING;
        }
        boolean alive = !RunProgress.host().equals(progress.host())
                || ProcessHandle.of(progress.pid()).map(ProcessHandle::isAlive).orElse(false);
        return RunProgress.TRAINING.equals(progress.state()) && alive ? RunProgress.TRAINING : RunProgress.STOPPED;
    }

    /**
     * Everything a run page shows: the summary, config, classes, history, the last evaluation's
     * counts ({@code confusion.json}, null before one); the image fields (confusion matrix,
     * attention grid) are left to the caller.
     */
    public Map<String, Object> page() {
        Map<String, Object> page = new LinkedHashMap<>(summary());
        page.put("config", config());
        page.put("classes", classes());
        page.put("history", history());
        Path counts = dir.resolve(EvaluationReport.COUNTS);
        page.put("confusion", Files.isRegularFile(counts) ? read(EvaluationReport.COUNTS) : null);
        return page;
    }

    /** The run's picture files the run page shows, by role; only those that exist. */
    public Map<String, Path> images() {
        Map<String, Path> images = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : IMAGE_FILES) {
            Path file = dir.resolve(e.getValue());
            if (Files.isRegularFile(file)) {
                images.put(e.getKey(), file);
            }
        }
        return images;
    }

    private JsonNode read(String file) {
        Path path = dir.resolve(file);
        try {
            return JSON.readTree(Files.readString(path));
        } catch (NoSuchFileException e) {
            throw new TlbException(dir + " is not a tlb run directory: it has no " + file);
        } catch (IOException e) {
            throw new TlbException(path + " is not readable JSON: " + e.getMessage());
        }
    }
}
