package org.tlbjava.serve;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.tlbjava.TlbException;
import org.tlbjava.model.SavedModel;
import org.tlbjava.train.EvaluationReport;
import org.tlbjava.train.RunProgress;

/**
 * What a run directory says about itself, read from its files as they are on disk (a run that is
 * training rewrites them after every epoch). A file is read only when it resolves inside the run
 * directory (a link may not lead out of it), is a regular file of modest size and holds the
 * expected format, so a run directory cannot be used to show other files. History keys are
 * returned in snake_case whether the file has them so ({@code val_loss}) or in the older
 * camelCase ({@code valLoss}).
 */
public final class RunInfo {
    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Written by {@code tlb evaluate} and {@code tlb attention}. */
    private static final List<Map.Entry<String, String>> IMAGE_FILES =
            List.of(Map.entry("confusion", "confusion.png"), Map.entry("attention", "attention/grid.png"));
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    /** Far above any JSON file or picture a run writes; keeps a stray huge file from filling memory. */
    private static final long MAX_FILE_BYTES = 64L << 20;

    /**
     * A run file that cannot be read. The message names the run and the file within it and
     * never quotes the file's content, so the server can show it to any client.
     */
    public static final class Unreadable extends TlbException {
        Unreadable(String message) {
            super(message);
        }
    }

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
        return readJson(SavedModel.CONFIG, JsonNode::isObject, "a JSON object");
    }

    public List<String> classes() {
        List<String> classes = new ArrayList<>();
        readJson(SavedModel.CLASSES, node -> node.isArray() && allMatch(node, JsonNode::isTextual), "a JSON array of class names")
                .forEach(c -> classes.add(c.asText()));
        return classes;
    }

    /** One map per finished epoch; empty before the first epoch ends. */
    public List<Map<String, Object>> history() {
        if (file("history.json") == null) {
            return List.of();
        }
        List<Map<String, Object>> epochs = new ArrayList<>();
        for (JsonNode record : readJson("history.json", node -> node.isArray() && allMatch(node, JsonNode::isObject),
                "a JSON array of epoch records")) {
            Map<String, Object> epoch = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = record.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                epoch.put(snakeCase(field.getKey()), JSON.convertValue(field.getValue(), Object.class)); // lists too
            }
            epochs.add(epoch);
        }
        return epochs;
    }

    private static boolean allMatch(JsonNode array, Predicate<JsonNode> test) {
        for (JsonNode element : array) {
            if (!test.test(element)) {
                return false;
            }
        }
        return true;
    }

    static String snakeCase(String key) {
        return key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    /** The run's weights ({@code model.params}) as a real path inside the run, or null before the first epoch ends. */
    public Path modelFile() {
        return file(SavedModel.MODEL);
    }

    /**
     * Name, variant, epochs done of planned, best validation accuracy, start time and training
     * time (null for runs that predate {@code progress.json}), state (training, finished or
     * stopped), and while it trains, {@code progress}: where it is within its epoch and its ETA.
     */
    public Map<String, Object> summary() {
        JsonNode config = config();
        List<Map<String, Object>> history = history();
        RunProgress.Snapshot progress = file(RunProgress.FILE) == null ? null : RunProgress.read(dir);
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
        summary.put("has_model", modelFile() != null);
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
        page.put("confusion", file(EvaluationReport.COUNTS) == null ? null
                : readJson(EvaluationReport.COUNTS, JsonNode::isObject, "a JSON object"));
        return page;
    }

    /** The run's pictures the run page shows, by role: those that are there and readable as PNG files. */
    public Map<String, byte[]> images() {
        Map<String, byte[]> images = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : IMAGE_FILES) {
            try {
                images.put(e.getKey(), image(e.getKey()));
            } catch (Unreadable missingOrRefused) {
                // the page shows the pictures there are; image(kind) says why one is not
            }
        }
        return images;
    }

    /** The PNG bytes of picture {@code kind} ("confusion", "attention"). */
    public byte[] image(String kind) {
        String relative = IMAGE_FILES.stream().filter(e -> e.getKey().equals(kind)).map(Map.Entry::getValue)
                .findFirst().orElseThrow(() -> unreadable("there is no picture kind '" + kind + "'"));
        byte[] bytes = required(relative);
        if (bytes.length < PNG_SIGNATURE.length || !Arrays.equals(bytes, 0, PNG_SIGNATURE.length, PNG_SIGNATURE, 0,
                PNG_SIGNATURE.length)) {
            throw unreadable(relative + " is not a PNG file");
        }
        return bytes;
    }

    private JsonNode readJson(String relative, Predicate<JsonNode> shape, String expected) {
        JsonNode node;
        try {
            node = JSON.readTree(required(relative));
        } catch (JsonProcessingException e) {
            // only the position: Jackson's own message quotes the offending text
            JsonLocation at = e.getLocation();
            throw unreadable(relative + " is not valid JSON" + (at == null ? ""
                    : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        } catch (IOException e) {
            throw cannotRead(relative, e);
        }
        if (node == null || !shape.test(node)) {
            throw unreadable(relative + " is not " + expected);
        }
        return node;
    }

    /** The bytes of a file the run must have. */
    private byte[] required(String relative) {
        Path file = file(relative);
        if (file == null) {
            throw new Unreadable("run '" + name + "' has no " + relative + (relative.equals(SavedModel.CONFIG)
                    ? ": it is not a tlb run directory" : ""));
        }
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw unreadable(relative + " is " + Files.size(file) + " bytes, more than the " + MAX_FILE_BYTES
                        + " a run file may have");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw cannotRead(relative, e);
        }
    }

    /**
     * The run's file {@code relative} as a real path, or null when there is none. A link that
     * leads outside the run directory, or anything but a regular file, is refused.
     */
    private Path file(String relative) {
        Path path = dir.resolve(relative);
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        Path real;
        try {
            real = path.toRealPath();
            if (!real.startsWith(dir.toRealPath())) {
                throw unreadable(relative + " is a link that leads outside the run directory; it is not read");
            }
        } catch (NoSuchFileException e) {
            throw unreadable(relative + " is a link to a file that does not exist");
        } catch (IOException e) {
            throw cannotRead(relative, e);
        }
        if (!Files.isRegularFile(real)) {
            throw unreadable(relative + " is not a regular file");
        }
        return real;
    }

    /** Only the kind of failure: an exception's message may hold an absolute path. */
    private Unreadable cannotRead(String relative, IOException e) {
        return unreadable(relative + " cannot be read" + (e instanceof AccessDeniedException ? " (permission denied)" : ""));
    }

    private Unreadable unreadable(String what) {
        return new Unreadable("run '" + name + "': " + what);
    }
}
