package org.tlbjava.train;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tlbjava.TlbException;
import org.tlbjava.config.TlbConfig;
import org.tlbjava.io.AtomicFiles;
import org.tlbjava.model.TlbModel;

/**
 * The files of one training run. {@code config.json} and {@code classes.json} are written when
 * the run starts; {@code checkpoint.bin} (weights, optimizer moments, epoch, history) and then
 * {@code model.params}, the history and the plots after every epoch. Every file is written
 * atomically, so a run killed at any moment can be resumed from its last checkpoint.
 */
public final class RunDirectory {
    static final String CONFIG = "config.json";
    static final String CLASSES = "classes.json";
    static final String CHECKPOINT = "checkpoint.bin";
    static final String MODEL = "model.params";
    private static final String CHECKPOINT_MAGIC = "tlb-checkpoint-1";
    private static final String MODEL_MAGIC = "tlb-model-1";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;

    public RunDirectory(Path dir) {
        this.dir = dir;
    }

    public Path path() {
        return dir;
    }

    /** What the run had finished when its checkpoint was written. */
    public record State(int epochsCompleted, long optimizerSteps, String data, List<EpochRecord> history) {}

    public void writeStart(TlbConfig config, List<String> classes) throws IOException {
        AtomicFiles.writeString(dir.resolve(CONFIG), config.toJson() + "\n");
        AtomicFiles.writeString(dir.resolve(CLASSES), JSON.writeValueAsString(classes) + "\n");
    }

    public TlbConfig readConfig() {
        Path file = dir.resolve(CONFIG);
        try {
            return TlbConfig.fromJson(Files.readString(file), file.toString()).validate();
        } catch (NoSuchFileException e) {
            throw new TlbException(dir + " is not a tlb run directory: it has no " + CONFIG);
        } catch (IOException e) {
            throw new TlbException("cannot read " + file + ": " + e.getMessage());
        }
    }

    public List<String> readClasses() {
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

    public boolean hasCheckpoint() {
        return Files.exists(dir.resolve(CHECKPOINT));
    }

    /** Writes the checkpoint, then the final-model file, history and plots that derive from it. */
    public void writeEpoch(TlbModel model, AdamW optimizer, State state) throws IOException {
        byte[] moments = optimizer.state().encode();
        AtomicFiles.write(dir.resolve(CHECKPOINT), stream -> {
            DataOutputStream out = new DataOutputStream(stream);
            out.writeUTF(CHECKPOINT_MAGIC);
            out.writeUTF(JSON.writeValueAsString(state));
            model.saveParameters(out);
            out.writeInt(moments.length);
            out.write(moments);
            out.flush();
        });
        AtomicFiles.write(dir.resolve(MODEL), stream -> {
            DataOutputStream out = new DataOutputStream(stream);
            out.writeUTF(MODEL_MAGIC);
            model.saveParameters(out);
            out.flush();
        });
        writeHistory(state.history());
    }

    private void writeHistory(List<EpochRecord> history) throws IOException {
        AtomicFiles.writeString(dir.resolve("history.json"), JSON.writeValueAsString(history) + "\n");
        StringBuilder csv = new StringBuilder("epoch,loss,accuracy,val_loss,val_accuracy,seconds,learning_rate\n");
        for (EpochRecord r : history) {
            csv.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f,%.2f,%g%n", r.epoch(), r.loss(),
                    r.accuracy(), r.valLoss(), r.valAccuracy(), r.seconds(), r.learningRate()));
        }
        AtomicFiles.writeString(dir.resolve("history.csv"), csv.toString());
        Plots.write(history, dir);
    }

    /** Restores weights and optimizer moments from the checkpoint and returns the state it recorded. */
    public State readCheckpoint(TlbModel model, AdamW optimizer, NDManager manager) {
        Path file = dir.resolve(CHECKPOINT);
        try (InputStream stream = Files.newInputStream(file)) {
            DataInputStream in = new DataInputStream(stream);
            expectMagic(in, CHECKPOINT_MAGIC, file);
            State state = JSON.readValue(in.readUTF(), State.class);
            loadWeights(model, manager, in, file);
            byte[] moments = in.readNBytes(in.readInt());
            optimizer.restore(NDList.decode(manager, moments), state.optimizerSteps());
            return state;
        } catch (NoSuchFileException e) {
            throw new TlbException(dir + " has no " + CHECKPOINT);
        } catch (IOException | RuntimeException e) {
            if (e instanceof TlbException) {
                throw (TlbException) e;
            }
            throw new TlbException(file + " is corrupt: " + e.getMessage());
        }
    }

    /** The trained model: config.json, classes.json and model.params, checked against each other. */
    public TlbModel loadModel(NDManager manager) {
        TlbConfig config = readConfig();
        List<String> classes = readClasses();
        if (classes.size() != config.numClasses) {
            throw new TlbException(dir.resolve(CLASSES) + " lists " + classes.size() + " classes but "
                    + dir.resolve(CONFIG) + " has num_classes " + config.numClasses);
        }
        Path file = dir.resolve(MODEL);
        TlbModel model = TlbModel.create(config, manager);
        try (InputStream stream = Files.newInputStream(file)) {
            DataInputStream in = new DataInputStream(stream);
            expectMagic(in, MODEL_MAGIC, file);
            loadWeights(model, manager, in, file);
            return model;
        } catch (NoSuchFileException e) {
            throw new TlbException(dir + " is incomplete: it has no " + MODEL
                    + " (no epoch has finished; continue with tlb train --resume " + dir + ")");
        } catch (IOException e) {
            throw new TlbException(file + " is corrupt: " + e.getMessage());
        }
    }

    private static void expectMagic(DataInputStream in, String magic, Path file) throws IOException {
        String found;
        try {
            found = in.readUTF();
        } catch (EOFException | java.io.UTFDataFormatException e) {
            found = null;
        }
        if (!magic.equals(found)) {
            throw new TlbException(file + " is not a " + magic + " file (corrupt or from another tool)");
        }
    }

    /** Loads saved weights and checks every shape against the config's model. */
    private static void loadWeights(TlbModel model, NDManager manager, DataInputStream in, Path file)
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
}
