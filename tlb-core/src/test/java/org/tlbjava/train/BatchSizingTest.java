package org.tlbjava.train;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.tlbjava.UsageException;
import org.tlbjava.config.TlbConfig;

class BatchSizingTest {
    @Test
    void theDefaultBatchShrinksOnSmallDataAndSaysSo() {
        TlbConfig config = new TlbConfig();
        String said = BatchSizing.adapt(config, 720, false);
        assertEquals(64, config.batchSize, "a power of two giving at least 10 steps an epoch");
        assertTrue(said.contains("Batch: 64") && said.contains("720 training images") && said.contains("--batch-size"), said);
    }

    @Test
    void cifarKeepsTheReferenceBatch() {
        TlbConfig config = new TlbConfig();
        assertNull(BatchSizing.adapt(config, 40_000, false));
        assertEquals(2048, config.batchSize);
    }

    @Test
    void aChosenBatchIsKeptOrRefusedNamingTheOneThatFits() {
        TlbConfig config = new TlbConfig();
        config.batchSize = 512;
        assertNull(BatchSizing.adapt(config, 1000, true));
        assertEquals(512, config.batchSize);
        config.batchSize = 2048;
        UsageException e = assertThrows(UsageException.class, () -> BatchSizing.adapt(config, 720, true));
        assertTrue(e.getMessage().contains("use --batch-size 64"), e.getMessage());
    }
}
