package org.tlbjava.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.TlbException;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.BatchLoader;
import org.tlbjava.data.DataLocator;
import org.tlbjava.data.Splits;
import org.tlbjava.model.MemoryEstimate;
import org.tlbjava.model.TlbModel;
import org.tlbjava.testing.Synthetic;

/** Damaged, raced and impossible runs: each is refused or recovered, never used silently. */
class RunDirectoryTest {
    @TempDir
    Path tmp;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private static RunConfig tiny() {
        RunConfig c = RunConfig.defaults().with("embed_dim=16", "key_dim=16", "num_layers=2", "image_size=16");
        return c;
    }

    private static RunDirectory.State state(int epochs) {
        return new RunDirectory.State(epochs, epochs * 3L, "test", List.of());
    }

    /** A run directory with two checkpoints written (after epochs 1 and 2) by a model with fresh weights. */
    private RunDirectory twoEpochRun(RunConfig c) throws Exception {
        RunDirectory run = new RunDirectory(tmp.resolve("run"));
        run.writeStart(c, Arrays.asList(Synthetic.CLASSES), new DataRecord("data", "test", null));
        TlbModel model = TlbModel.create(c, manager);
        Optimizer optimizer = new Optimizer(c, model, manager, 1);
        run.writeEpoch(model, optimizer, state(1));
        run.writeEpoch(model, optimizer, state(2));
        return run;
    }

    private static void flipByte(Path file, long at) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x5a);
        }
    }

    @Test
    void flippedOrTruncatedWeightsAreRefusedNamingTheFile() throws Exception {
        RunConfig c = tiny();
        RunDirectory run = twoEpochRun(c);
        Path params = run.path().resolve("model.params");
        byte[] good = Files.readAllBytes(params);
        flipByte(params, good.length / 2);
        TlbException flipped = assertThrows(TlbException.class, () -> run.loadModel(manager));
        assertTrue(flipped.getMessage().contains("model.params is corrupt"), flipped.getMessage());
        Files.write(params, Arrays.copyOf(good, good.length - 100));
        TlbException cut = assertThrows(TlbException.class, () -> run.loadModel(manager));
        assertTrue(cut.getMessage().contains("model.params is truncated"), cut.getMessage());
        Files.write(params, good);
        assertNotNull(run.loadModel(manager));
    }

    @Test
    void aDamagedCheckpointFallsBackToThePreviousOneAndIsSetAside() throws Exception {
        RunConfig c = tiny();
        RunDirectory run = twoEpochRun(c);
        Path checkpoint = run.path().resolve("checkpoint.bin");
        flipByte(checkpoint, Files.size(checkpoint) - 40);
        TlbModel model = TlbModel.create(c, manager);
        Optimizer optimizer = new Optimizer(c, model, manager, 1);
        RunDirectory.Restored restored = run.readCheckpoint(model, optimizer, manager);
        assertEquals(1, restored.state().epochsCompleted(), "the previous checkpoint, after epoch 1");
        String notes = String.join("; ", restored.notes());
        assertTrue(notes.contains("checkpoint.bin is corrupt") && notes.contains("fell back"), notes);
        assertFalse(Files.exists(checkpoint), "the damaged file is not rotated into the fallback place");
        assertTrue(Files.exists(run.path().resolve("checkpoint.bin.corrupt")));

        flipByte(run.path().resolve("checkpoint.prev.bin"), 100);
        TlbException none = assertThrows(TlbException.class, () -> run.readCheckpoint(model, optimizer, manager));
        assertTrue(none.getMessage().contains("checkpoint.prev.bin is corrupt"), none.getMessage());
    }

    @Test
    void aRunLockedByOneTrainerRefusesASecond() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("locked"));
        try (RunLock first = RunLock.acquire(dir)) {
            TlbException second = assertThrows(TlbException.class, () -> RunLock.acquire(dir));
            assertTrue(second.getMessage().contains("is in use"), second.getMessage());
        }
        RunLock.acquire(dir).close(); // released with the first
    }

    @Test
    void theFingerprintChangesWithTheDataAndNotOtherwise() throws Exception {
        RunConfig c = RunConfig.defaults().with("train_slice=240");
        Synthetic.cifarDir(tmp.resolve("a"), 60, false);
        Synthetic.cifarDir(tmp.resolve("b"), 60, false);
        Splits a = new DataLocator().load(tmp.resolve("a").toString(), c);
        Splits b = new DataLocator().load(tmp.resolve("b").toString(), c);
        assertEquals(DataRecord.fingerprint(a), DataRecord.fingerprint(b), "same bytes, same fingerprint");
        byte[] batch = Synthetic.batch(60, 5);
        batch[0] = (byte) ((batch[0] + 1) % 10); // one label of the last batch (validation)
        Files.write(tmp.resolve("b/cifar-10-batches-bin/data_batch_5.bin"), batch);
        Splits changed = new DataLocator().load(tmp.resolve("b").toString(), c);
        assertNotEquals(DataRecord.fingerprint(a), DataRecord.fingerprint(changed));
    }

    /** A configuration whose crop does not fit fails the batch thread: the consumer gets the error, not a hang. */
    @Test
    void aFailingBatchThreadEndsThePassWithItsError() throws Exception {
        RunConfig c = RunConfig.defaults().with("train_slice=240");
        Synthetic.cifarDir(tmp.resolve("d"), 60, false);
        Splits splits = new DataLocator().load(tmp.resolve("d").toString(), c);
        // stored at 32, not at this config's 64: the crop of 64 does not fit in 32 + 20
        RunConfig larger = c.with("image_size=64", "input_shape=[64,64,3]");
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            try (BatchLoader loader = BatchLoader.training(splits.train(), larger, 32, 0)) {
                assertThrows(IllegalArgumentException.class, () -> loader.forEach(batch -> { }));
            }
        });
    }

    @Test
    void aModelTooLargeForThisMachineIsRefusedBeforeAnyAllocation() {
        RunConfig c = RunConfig.defaults().with("embed_dim=" + 100_000);
        TlbException e = assertThrows(TlbException.class, () -> TlbModel.create(c, manager));
        assertTrue(e.getMessage().contains("more than this machine's"), e.getMessage());
        assertTrue(MemoryEstimate.bytes(RunConfig.defaults(), 2, 256, true) < 8e9, "the reference run fits");
    }
}
