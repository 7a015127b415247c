package org.tlbjava.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.TlbException;
import org.tlbjava.testing.Synthetic;

/** Extraction limits: what a hostile or broken archive may not do. */
class TarGzExtractorTest {
    private static final String DIR = "cifar-10-batches-bin";
    private static final TarGzExtractor.Limits SMALL = new TarGzExtractor.Limits(100_000, 20_000, List.of("a.bin"));

    @TempDir
    Path tmp;

    private Path archive(String[] names, byte[][] contents) throws Exception {
        return Files.write(tmp.resolve("data.tar.gz"), Synthetic.tarGz(names, contents));
    }

    private TlbException refused(Path archive, TarGzExtractor.Limits limits) throws Exception {
        TlbException e = assertThrows(TlbException.class, () -> TarGzExtractor.extract(archive, tmp, DIR, limits));
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(archive), left.toList(), "nothing but the archive is left");
        }
        return e;
    }

    @Test
    void anArchiveThatExpandsPastTheTotalLimitIsRefused() throws Exception {
        // 6 entries of 19,000 zero bytes each: each is under the entry limit, together over the total
        String[] names = new String[6];
        byte[][] contents = new byte[6][];
        for (int i = 0; i < 6; i++) {
            names[i] = DIR + "/" + (i == 0 ? "a" : "z" + i) + ".bin";
            contents[i] = new byte[19_000];
        }
        Path archive = archive(names, contents);
        assertTrue(Files.size(archive) < 2_000, "a small gzip");
        TlbException e = refused(archive, SMALL);
        assertTrue(e.getMessage().contains("expands to more than 100,000 bytes"), e.getMessage());
    }

    @Test
    void anEntryOverTheEntryLimitIsRefused() throws Exception {
        Path archive = archive(new String[] {DIR + "/a.bin"}, new byte[][] {new byte[20_001]});
        TlbException e = refused(archive, SMALL);
        assertTrue(e.getMessage().contains("'" + DIR + "/a.bin' is 20,001 bytes, over the limit of 20,000"), e.getMessage());
    }

    @Test
    void anIncompleteArchiveIsNotMovedIntoPlace() throws Exception {
        Path archive = archive(new String[] {DIR + "/b.bin"}, new byte[][] {new byte[10]});
        TlbException e = refused(archive, SMALL);
        assertTrue(e.getMessage().contains("incomplete") && e.getMessage().contains(DIR + "/a.bin"), e.getMessage());
    }

    @Test
    void leftoversOfAKilledExtractionAreDeleted() throws Exception {
        Path leftover = Files.createDirectories(tmp.resolve(".extract-123/" + DIR));
        Files.write(leftover.resolve("a.bin"), new byte[10]);
        Path archive = archive(new String[] {DIR + "/a.bin"}, new byte[][] {new byte[10]});
        assertEquals(tmp.resolve(DIR), TarGzExtractor.extract(archive, tmp, DIR, SMALL));
        assertFalse(Files.exists(tmp.resolve(".extract-123")));
    }

    @Test
    void theOfficialArchiveFitsTheCifarLimits() {
        // five 30,730,000-byte batches, the test batch and small files: ~185 MB of tar
        assertTrue(6L * CifarBinary.BATCH_BYTES + 1_000_000 < DataLocator.CIFAR_LIMITS.maxTotalBytes());
        assertTrue(CifarBinary.BATCH_BYTES <= DataLocator.CIFAR_LIMITS.maxEntryBytes());
    }
}
