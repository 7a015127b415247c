package org.tlbjava.train;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvaluationReportTest {
    @Test
    void aClassWithNoImagesHasNoAccuracyRatherThanZero() {
        long[][] confusion = {{3, 1, 0}, {0, 0, 0}, {0, 2, 2}};
        EvaluationReport report = new EvaluationReport(8, 0.5, 0.625, List.of("cat", "dog", "frog"), confusion);
        List<String> lines = report.table().lines().toList();
        assertTrue(lines.get(1).endsWith("  0.7500"), lines.get(1));
        assertTrue(lines.get(2).startsWith("dog") && lines.get(2).endsWith("  –"), lines.get(2));
        assertTrue(lines.get(3).endsWith("  0.5000"), lines.get(3));
        @SuppressWarnings("unchecked")
        Map<String, Double> perClass = (Map<String, Double>) report.json().get("per_class");
        assertEquals(0.75, perClass.get("cat"));
        assertTrue(perClass.containsKey("dog"));
        assertNull(perClass.get("dog"));
    }
}
