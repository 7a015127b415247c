package org.tlbjava.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tlbjava.TlbException;
import org.tlbjava.config.RunConfig;
import org.tlbjava.io.SealedFile;

/**
 * A trained model on disk, the one way the CLI, the server and the Java API load one: a
 * directory (a training run's) with {@code config.json}, {@code classes.json} and the sealed
 * weights {@code model.params}, checked against each other. Files from before sealing still load.
 */
public final class SavedModel {
    public static final String CONFIG = "config.json";
    public static final String CLASSES = "classes.json";
    public static final String MODEL = "model.params";
    /** The weights of the epoch with the best validation accuracy so far. */
    public static final String BEST = "best.params";
    private static final String MAGIC = "tlb-model-2";
    private static final String LEGACY_MAGIC = "tlb-model-1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SavedModel() {}

    public static RunConfig readConfig(Path dir) {
        Path file = dir.resolve(CONFIG);
        try {
            return RunConfig.fromJson(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new TlbException(dir + " is not a tlb run directory: it has no " + CONFIG);
        } catch (IOException e) {
            throw new TlbException("cannot read " + file + ": " + e.getMessage());
        }
    }

    public static List<String> readClasses(Path dir) {
        Path file = dir.resolve(CLASSES);
        try {
            List<String> classes = JSON.readValue(Files.readString(file), new TypeReference<List<String>>() {});
            if (classes == null || classes.size() < 2) {
                throw new TlbException(file + " must list at least two class names");
            }
            return classes;
        } catch (NoSuchFileException e) {
            throw new TlbException(dir + " is incomplete: it has no " + CLASSES);
        } catch (IOException e) {
            throw new TlbException(file + " is corrupt: " + e.getMessage());
        }
    }

    /**
     * The run directory of {@code runOrWeights}: a run directory itself, or the parent of one of
     * its weight files ({@code RUN/best.params}).
     */
    public static Path runDirectory(Path runOrWeights) {
        return Files.isRegularFile(runOrWeights) ? runOrWeights.toAbsolutePath().getParent() : runOrWeights;
    }

    /**
     * The trained model of a run directory ({@code model.params}), or of one of its weight files
     * such as {@code RUN/best.params}; sets the engine up for it, since loading one is where a
     * program starts using it.
     */
    public static TlbModel load(Path runOrWeights, NDManager manager) {
        Path dir = runDirectory(runOrWeights);
        RunConfig config = readConfig(dir);
        List<String> classes = readClasses(dir);
        if (classes.size() != config.model().numClasses()) {
            throw new TlbException(dir.resolve(CLASSES) + " lists " + classes.size() + " classes but "
                    + dir.resolve(CONFIG) + " has num_classes " + config.model().numClasses());
        }
        Path file = dir.equals(runOrWeights) ? dir.resolve(MODEL) : runOrWeights;
        if (!Files.exists(file)) {
            throw new TlbException(dir + " is incomplete: it has no " + MODEL
                    + " (no epoch has finished; continue with tlb train --resume " + dir + ")");
        }
        SealedFile.Contents contents = SealedFile.read(file, MAGIC, LEGACY_MAGIC, "tlb model file");
        EngineTuning.tune(config.train().mixedPrecision());
        TlbModel model = TlbModel.create(config, manager);
        try (DataInputStream in = contents.stream()) {
            loadWeights(model, manager, in, file);
            return model;
        } catch (IOException e) {
            throw new TlbException(file + " is corrupt: " + describe(e));
        }
    }

    /** Writes {@code model}'s weights as {@code dir/name} (model.params or best.params), sealed. */
    public static void writeWeights(Path dir, String name, TlbModel model) throws IOException {
        SealedFile.write(dir.resolve(name), MAGIC, stream -> {
            DataOutputStream out = new DataOutputStream(stream);
            model.saveParameters(out);
            out.flush();
        });
    }

    /** Loads saved weights (of a model file or a checkpoint) and checks every shape against the config's model. */
    public static void loadWeights(TlbModel model, NDManager manager, DataInputStream in, Path file)
            throws IOException {
        List<Shape> expected = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getParameters()) {
            expected.add(p.getValue().getShape());
        }
        try {
            model.loadParameters(manager, in);
        } catch (MalformedModelException | RuntimeException e) {
            throw new TlbException(file + " does not match config.json (saved by another model"
                    + " configuration, or corrupt): " + e.getMessage());
        }
        int i = 0;
        for (Pair<String, Parameter> p : model.getParameters()) {
            Shape actual = p.getValue().getArray().getShape();
            if (!actual.equals(expected.get(i++))) {
                throw new TlbException(file + ": weight " + p.getKey() + " has shape " + actual
                        + " but config.json implies " + expected.get(i - 1)
                        + "; the file is from another model configuration");
            }
        }
    }

    /** What went wrong reading a file, in words: a cut file says so. */
    public static String describe(Exception e) {
        return e instanceof EOFException ? "it ends early (truncated)"
                : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
