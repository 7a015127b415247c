package org.tlbjava.train;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.tlbjava.UsageException;
import java.util.Optional;

class BatchSizingTest {
    @Test
    void theDefaultBatchShrinksOnSmallDataAndSaysSo() {
        BatchSizing.Fit fit = BatchSizing.fit(2048, 720, false);
        assertEquals(64, fit.batch(), "a power of two giving at least 10 steps an epoch");
        String said = fit.note().orElseThrow();
        assertTrue(said.contains("Batch: 64") && said.contains("720 training images") && said.contains("--batch-size"), said);
    }

    @Test
    void cifarKeepsTheReferenceBatch() {
        assertEquals(new BatchSizing.Fit(2048, Optional.empty()), BatchSizing.fit(2048, 40_000, false));
    }

    @Test
    void aChosenBatchIsKeptOrRefusedNamingTheOneThatFits() {
        assertEquals(new BatchSizing.Fit(512, Optional.empty()), BatchSizing.fit(512, 1000, true));
        UsageException e = assertThrows(UsageException.class, () -> BatchSizing.fit(2048, 720, true));
        assertTrue(e.getMessage().contains("use --batch-size 64"), e.getMessage());
    }
}
