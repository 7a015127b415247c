package org.tlbjava.train;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.Locale;
import org.tlbjava.TlbException;
import org.tlbjava.config.RunConfig;
import org.tlbjava.io.AtomicFiles;
import org.tlbjava.io.SealedFile;
import org.tlbjava.model.SavedModel;
import org.tlbjava.model.TlbModel;

/**
 * The files of one training run. {@code config.json}, {@code classes.json} and {@code data.json}
 * are written when the run starts; {@code checkpoint.bin} (weights, optimizer moments and weight
 * average, epoch, history) and then {@code model.params} (the average's weights when there is one),
 * {@code best.params} when validation accuracy is the best so far, the history and the plots after
 * every epoch. Every file
 * is written atomically, and the two weight files are sealed (length and SHA-256), so a run killed
 * at any moment resumes from its last checkpoint and a damaged file is refused, never used. The
 * checkpoint before the last is kept as {@code checkpoint.prev.bin} to fall back on.
 */
public final class RunDirectory {
    static final String CONFIG = SavedModel.CONFIG;
    static final String CLASSES = SavedModel.CLASSES;
    static final String DATA = "data.json";
    static final String CHECKPOINT = "checkpoint.bin";
    static final String PREVIOUS_CHECKPOINT = "checkpoint.prev.bin";
    private static final String CHECKPOINT_MAGIC = "tlb-checkpoint-2";
    /** The unsealed formats of runs written before sealing; still read. */
    private static final String LEGACY_CHECKPOINT_MAGIC = "tlb-checkpoint-1";
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

    /** A checkpoint read back, and the lines that say how (a fallback to the previous one). */
    public record Restored(State state, List<String> notes) {}

    /** Writes the run's start files; config.json last, since its presence is what makes a directory a run. */
    public void writeStart(RunConfig config, List<String> classes, DataRecord data) throws IOException {
        AtomicFiles.writeString(dir.resolve(DATA), JSON.writeValueAsString(data) + "\n");
        AtomicFiles.writeString(dir.resolve(CLASSES), JSON.writeValueAsString(classes) + "\n");
        AtomicFiles.writeString(dir.resolve(CONFIG), config.toJson() + "\n");
    }

    /**
     * The files of {@code dir} that tlb train writes and nothing else can write again: what a run
     * is loaded and resumed from, its history and log. An output of another command must never
     * replace one.
     */
    public static List<Path> ownFiles(Path dir) {
        return Stream.of(CONFIG, CLASSES, DATA, SavedModel.MODEL, SavedModel.BEST, CHECKPOINT, PREVIOUS_CHECKPOINT,
                "history.json", "history.csv", "train.log").map(dir::resolve).toList();
    }

    /** A file a run stopped before its config.json can have left: a start file or a temporary file of one. */
    public static boolean isStartLeftover(Path file) {
        String name = file.getFileName().toString();
        return name.equals(DATA) || name.equals(CLASSES) || name.equals(RunLock.FILE) || name.equals("train.log")
                || (name.startsWith(".") && name.endsWith(".tmp"));
    }

    public RunConfig readConfig() {
        return SavedModel.readConfig(dir);
    }

    public List<String> readClasses() {
        return SavedModel.readClasses(dir);
    }

    /**
     * Where the run's data came from ({@code data.json}); null for a run written before data records,
     * which then resumes on {@code --data}, {@code $TLB_DATA} or the cache as it always did.
     */
    public DataRecord readData() {
        Path file = dir.resolve(DATA);
        try {
            return JSON.readValue(Files.readString(file), DataRecord.class);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new TlbException(file + " is corrupt: " + e.getMessage());
        }
    }

    /** The completed epochs, as history.json records them; empty before the first. */
    public List<EpochRecord> readHistory() {
        Path file = dir.resolve("history.json");
        try {
            return List.of(JSON.readValue(Files.readString(file), EpochRecord[].class));
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new TlbException(file + " is corrupt: " + e.getMessage());
        }
    }

    public boolean hasCheckpoint() {
        return Files.exists(dir.resolve(CHECKPOINT)) || Files.exists(dir.resolve(PREVIOUS_CHECKPOINT));
    }

    /** {@link #writeCheckpoint}, then {@link #writeModel} from the same weights (a run without a weight average). */
    public void writeEpoch(TlbModel model, Optimizer optimizer, State state) throws IOException {
        writeCheckpoint(model, optimizer, state);
        writeModel(model, state.history(), false);
    }

    /** Writes the checkpoint; the one it replaces becomes {@code checkpoint.prev.bin}. */
    public void writeCheckpoint(TlbModel model, Optimizer optimizer, State state) throws IOException {
        byte[] stateJson = JSON.writeValueAsBytes(state);
        byte[] moments = optimizer.state().encode();
        Path checkpoint = dir.resolve(CHECKPOINT);
        Path staged = dir.resolve(CHECKPOINT + ".new");
        SealedFile.write(staged, CHECKPOINT_MAGIC, stream -> {
            DataOutputStream out = new DataOutputStream(stream);
            out.writeInt(stateJson.length);
            out.write(stateJson);
            model.saveParameters(out);
            out.writeInt(moments.length);
            out.write(moments);
            out.flush();
        });
        // Killed between these two moves, the run has only checkpoint.prev.bin, which resume reads.
        if (Files.exists(checkpoint)) {
            Files.move(checkpoint, dir.resolve(PREVIOUS_CHECKPOINT), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(staged, checkpoint, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Writes {@code model}'s weights as the run's model ({@code model.params}), and as
     * {@code best.params} too when {@code best}, then the history and plots.
     */
    public void writeModel(TlbModel model, List<EpochRecord> history, boolean best) throws IOException {
        SavedModel.writeWeights(dir, SavedModel.MODEL, model);
        if (best) {
            SavedModel.writeWeights(dir, SavedModel.BEST, model);
        }
        writeHistory(history);
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

    /**
     * Restores weights and optimizer moments from the newest good checkpoint and returns the state
     * it recorded. When {@code checkpoint.bin} is damaged or missing, the previous checkpoint is
     * used and the damaged file is set aside as {@code checkpoint.bin.corrupt}, so the next
     * checkpoint does not rotate it into the fallback place.
     */
    public Restored readCheckpoint(TlbModel model, Optimizer optimizer, NDManager manager) {
        Path current = dir.resolve(CHECKPOINT);
        Path previous = dir.resolve(PREVIOUS_CHECKPOINT);
        if (!Files.exists(current) && !Files.exists(previous)) {
            throw new TlbException(dir + " has no " + CHECKPOINT);
        }
        TlbException damage;
        if (Files.exists(current)) {
            try {
                return new Restored(readCheckpoint(current, model, optimizer, manager), List.of());
            } catch (TlbException e) {
                damage = e;
            }
        } else {
            damage = new TlbException(current + " is missing (the run was stopped while replacing it)");
        }
        if (!Files.exists(previous)) {
            throw damage;
        }
        State state;
        try {
            state = readCheckpoint(previous, model, optimizer, manager);
        } catch (TlbException e) {
            throw new TlbException(damage.getMessage() + "; the previous checkpoint is no better: " + e.getMessage());
        }
        List<String> notes = new ArrayList<>();
        notes.add(damage.getMessage());
        try {
            if (Files.exists(current)) {
                Files.move(current, dir.resolve(CHECKPOINT + ".corrupt"), StandardCopyOption.REPLACE_EXISTING);
                notes.add("set it aside as " + CHECKPOINT + ".corrupt");
            }
        } catch (IOException e) {
            throw new TlbException("cannot set aside the damaged " + current + ": " + e.getMessage());
        }
        notes.add("fell back to " + previous + " (after epoch " + state.epochsCompleted() + ")");
        return new Restored(state, notes);
    }

    private static State readCheckpoint(Path file, TlbModel model, Optimizer optimizer, NDManager manager) {
        SealedFile.Contents contents = SealedFile.read(file, CHECKPOINT_MAGIC, LEGACY_CHECKPOINT_MAGIC, "tlb checkpoint");
        try (DataInputStream in = contents.stream()) {
            String stateJson;
            if (contents.verified()) {
                stateJson = new String(in.readNBytes(in.readInt()), StandardCharsets.UTF_8);
            } else {
                stateJson = in.readUTF();
            }
            State state = JSON.readValue(stateJson, State.class);
            SavedModel.loadWeights(model, manager, in, file);
            byte[] moments = in.readNBytes(in.readInt());
            optimizer.restore(NDList.decode(manager, moments), state.optimizerSteps());
            return state;
        } catch (IOException | RuntimeException e) {
            if (e instanceof TlbException) {
                throw (TlbException) e;
            }
            throw new TlbException(file + " is corrupt: " + SavedModel.describe(e));
        }
    }

    /** The trained model of this run (see {@link SavedModel}). */
    public TlbModel loadModel(NDManager manager) {
        return SavedModel.load(dir, manager);
    }
}
