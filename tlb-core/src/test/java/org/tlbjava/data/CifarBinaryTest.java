package org.tlbjava.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.TlbException;
import org.tlbjava.config.RunConfig;
import org.tlbjava.testing.Synthetic;

class CifarBinaryTest {
    @TempDir
    Path tmp;

    private RunConfig config(int trainSlice) {
        RunConfig c = RunConfig.defaults().with("train_slice=" + trainSlice);
        return c;
    }

    @Test
    void splitsFollowTheReference() throws Exception {
        Synthetic.cifarDir(tmp, 20, false);
        Splits s = new DataLocator().load(tmp.toString(), config(80));
        assertEquals(80, s.train().size());
        assertEquals(20, s.val().size());
        assertFalse(s.hasTest());
        assertEquals("airplane", s.classes().get(0));
        // record 0 of batch 5 is validation image 0: label 0, its first pixel byte as written
        byte[] batch5 = Synthetic.batch(20, 5);
        assertEquals(batch5[1], s.val().pixels()[0]);
        assertEquals(batch5[3073] & 0xff, s.val().label(1));
        TlbException e = assertThrows(TlbException.class, () -> s.split("test"));
        assertTrue(e.getMessage().contains("no test split"), e.getMessage());
    }

    @Test
    void testBatchIsUsedWhenPresent() throws Exception {
        Synthetic.cifarDir(tmp, 20, true);
        assertEquals(20, new DataLocator().load(tmp.resolve("cifar-10-batches-bin").toString(), config(80)).test().size());
    }

    @Test
    void truncatedBatchNamesFileAndOffset() throws Exception {
        Path dir = Synthetic.cifarDir(tmp, 20, false);
        byte[] cut = java.util.Arrays.copyOf(Synthetic.batch(20, 3), 3073 * 4 + 100);
        Files.write(dir.resolve("data_batch_3.bin"), cut);
        TlbException e = assertThrows(TlbException.class, () -> new DataLocator().load(dir.toString(), config(80)));
        assertTrue(e.getMessage().contains("data_batch_3.bin"), e.getMessage());
        assertTrue(e.getMessage().contains("byte offset 12292"), e.getMessage());
        assertTrue(e.getMessage().contains("not a multiple of 3073"), e.getMessage());
    }

    @Test
    void badLabelNamesFileAndOffset() throws Exception {
        Path dir = Synthetic.cifarDir(tmp, 20, false);
        byte[] bytes = Synthetic.batch(20, 2);
        bytes[3073 * 7] = 12;
        Files.write(dir.resolve("data_batch_2.bin"), bytes);
        TlbException e = assertThrows(TlbException.class, () -> new DataLocator().load(dir.toString(), config(80)));
        assertTrue(e.getMessage().contains("data_batch_2.bin"), e.getMessage());
        assertTrue(e.getMessage().contains("label 12 at byte offset 21511"), e.getMessage());
    }

    private TlbException loadError(Path dir) {
        return assertThrows(TlbException.class, () -> new DataLocator().load(dir.toString(), config(80)));
    }

    @Test
    void batchCutOnARecordBoundaryIsRefused() throws Exception {
        Path dir = Synthetic.cifarDir(tmp, 20, false);
        Files.write(dir.resolve("data_batch_3.bin"), Synthetic.batch(10, 3));
        TlbException e = loadError(dir);
        assertTrue(e.getMessage().contains("data_batch_3.bin holds 10 records (30,730 bytes)"), e.getMessage());
        assertTrue(e.getMessage().contains("data_batch_1.bin holds 20 (61,460 bytes)"), e.getMessage());
    }

    @Test
    void batchLargerThanAnOfficialOneIsRefusedBeforeReading() throws Exception {
        Path dir = Synthetic.cifarDir(tmp, 20, false);
        try (java.io.RandomAccessFile huge = new java.io.RandomAccessFile(dir.resolve("data_batch_2.bin").toFile(), "rw")) {
            huge.setLength(3073L * 700_000); // 2.15 GB, sparse: no disk used, never read
        }
        TlbException e = loadError(dir);
        assertTrue(e.getMessage().contains("data_batch_2.bin holds 700,000 records (2,151,100,000 bytes)"), e.getMessage());
        assertTrue(e.getMessage().contains("exactly 10,000 (30,730,000 bytes)"), e.getMessage());
    }

    @Test
    void zeroedBatchIsRefused() throws Exception {
        Path dir = Synthetic.cifarDir(tmp, 20, false);
        Files.write(dir.resolve("data_batch_4.bin"), new byte[20 * 3073]);
        TlbException e = loadError(dir);
        assertTrue(e.getMessage().contains("data_batch_4.bin: all 20 records hold the same pixels"), e.getMessage());
    }

    @Test
    void batchOfMostlyOneClassIsRefused() throws Exception {
        Path dir = Synthetic.cifarDir(tmp, 20, false);
        byte[] bytes = Synthetic.batch(20, 5);
        for (int i = 0; i < 11; i++) { // with record 13, already a cat: 12 of 20
            bytes[i * 3073] = 3;
        }
        Files.write(dir.resolve("data_batch_5.bin"), bytes);
        TlbException e = loadError(dir);
        assertTrue(e.getMessage().contains("data_batch_5.bin: 12 of its 20 records are class 3 (cat)"), e.getMessage());
        assertTrue(e.getMessage().contains("more than half"), e.getMessage());
    }

    @Test
    void missingBatchIsNamed() throws Exception {
        Path dir = Synthetic.cifarDir(tmp, 20, false);
        Files.delete(dir.resolve("data_batch_4.bin"));
        TlbException e = assertThrows(TlbException.class, () -> new DataLocator().load(dir.toString(), config(80)));
        assertTrue(e.getMessage().contains("data_batch_4.bin") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void archiveNextToTheDataIsExtractedOnce() throws Exception {
        Files.write(tmp.resolve("cifar-10-binary.tar.gz"), Synthetic.cifarArchive(20));
        Splits s = new DataLocator().load(tmp.toString(), config(90));
        assertEquals(90, s.train().size());
        assertTrue(Files.isRegularFile(tmp.resolve("cifar-10-batches-bin/data_batch_5.bin")));
        try (var leftovers = Files.list(tmp)) {
            assertEquals(2, leftovers.count(), "only the archive and the extracted folder remain");
        }
    }

    @Test
    void realCifarWhenPresent() {
        Path dir = realData();
        org.junit.jupiter.api.Assumptions.assumeTrue(dir != null, "no ../shared/datasets here");
        Splits s = new DataLocator().load(dir.toString(), RunConfig.defaults());
        assertEquals(40_000, s.train().size());
        assertEquals(10_000, s.val().size());
        int[] train = s.train().classCounts();
        int[] val = s.val().classCounts();
        for (int c = 0; c < 10; c++) {
            assertEquals(5_000, train[c] + val[c], "class " + c);
        }
    }

    /** $TLB_DATA or ../shared/datasets, when it holds the CIFAR-10 batches. */
    public static Path realData() {
        String env = System.getenv("TLB_DATA");
        for (Path candidate : new Path[] {env == null ? null : Path.of(env), Path.of("../shared/datasets")}) {
            if (candidate != null && Files.isRegularFile(candidate.resolve("cifar-10-batches-bin/data_batch_1.bin"))) {
                return candidate;
            }
        }
        return null;
    }
}
