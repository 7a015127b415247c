package org.tlbjava.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.testing.Synthetic;

/** A finished run is complete: its report shows the final model's pictures, and evaluate scores what training scored. */
class CompleteRunTest {
    @TempDir
    static Path tmp;
    static Path data;
    static Path run;
    static CliTest.Result trained;

    @BeforeAll
    static void trainOneEpoch() throws Exception {
        data = tmp.resolve("data");
        Synthetic.cifarDir(data, 60, false);
        run = tmp.resolve("run");
        List<String> args = FaultsTest.tinyTrain(data, run, 1);
        args.addAll(List.of("--val-limit", "40", "--set", "mixed_precision=false", "--json"));
        trained = CliTest.tlb(args.toArray(String[]::new));
        assertEquals(0, trained.code(), trained.err());
    }

    @Test
    void trainingWithJsonWritesNoProgressLineToStandardOutput() throws Exception {
        assertFalse(trained.out().contains("━") || trained.out().contains("\r"), trained.out());
        assertTrue(trained.err().contains("━"), "the bar goes to standard error: " + trained.err());
        JsonNode last = trained.json();
        assertEquals(run.toString(), last.get("run").asText());
        assertEquals(1, last.get("epochs").asInt());
        assertTrue(last.get("finished").asBoolean());
    }

    @Test
    void theReportOfAFinishedRunHoldsTheConfusionMatrixAndTheAttentionGrid() throws Exception {
        assertTrue(Files.size(run.resolve("confusion.png")) > 0);
        assertTrue(Files.size(run.resolve("attention/grid.png")) > 0);
        String report = Files.readString(run.resolve("report.html"));
        assertTrue(report.contains("\"confusion\":\"data:image/png;base64,"), "confusion matrix embedded");
        assertTrue(report.contains("\"attention\":\"data:image/png;base64,"), "attention grid embedded");
        assertTrue(trained.out().contains("Confusion matrix (val split, 40 images)"), trained.out());
    }

    /** The runs list's start, training time and state, and the pages' per-step curves, come from the run's files. */
    @Test
    void aFinishedRunRecordsItsProgressAndEachStepsLoss() throws Exception {
        JsonNode progress = new ObjectMapper().readTree(run.resolve("progress.json").toFile());
        assertEquals("finished", progress.get("state").asText());
        assertEquals(1, progress.get("epoch").asInt());
        assertEquals(progress.get("steps").asInt(), progress.get("step").asInt());
        assertTrue(progress.get("seconds").asDouble() > 0);
        assertFalse(java.time.Instant.parse(progress.get("started").asText()).isAfter(java.time.Instant.now()));
        JsonNode epoch = new ObjectMapper().readTree(run.resolve("history.json").toFile()).get(0);
        assertEquals(progress.get("steps").asInt(), epoch.get("step_losses").size());
        assertEquals(epoch.get("step_learning_rates").size(), epoch.get("step_losses").size());
    }

    /** The counts beside confusion.png, which the pages draw as a table, are those evaluate prints. */
    @Test
    void evaluationKeepsItsCountsForThePages() throws Exception {
        CliTest.Result r = CliTest.tlb("evaluate", "--model", run.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode counts = new ObjectMapper().readTree(run.resolve("confusion.json").toFile());
        assertEquals(r.json().get("confusion"), counts.get("confusion"));
        assertEquals(r.json().get("classes"), counts.get("classes"));
        assertEquals("val", counts.get("split").asText());
        assertEquals(40, counts.get("images").asInt());
    }

    /** Without --data, evaluate reads the run's data and its val sample: the accuracy is the run's last val_accuracy. */
    @Test
    void evaluateUsesTheRunsRecordedDataAndLimitsAndRefreshesTheReport() throws Exception {
        Files.delete(run.resolve("report.html"));
        CliTest.Result r = CliTest.tlb("evaluate", "--model", run.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(the run's, from data.json); val split: 40 images"), r.out());
        JsonNode history = new ObjectMapper().readTree(run.resolve("history.json").toFile());
        JsonNode lastEpoch = history.get(history.size() - 1);
        assertEquals(40, r.json().get("images").asInt());
        assertEquals(lastEpoch.get("val_accuracy").asDouble(), r.json().get("accuracy").asDouble(), 1e-9);
        assertTrue(Files.exists(run.resolve("report.html")), "evaluate refreshes the report");

        CliTest.Result whole = CliTest.tlb("evaluate", "--model", run.toString(), "--whole-split", "--json");
        assertEquals(0, whole.code(), whole.err());
        assertEquals(60, whole.json().get("images").asInt(), "--whole-split: every val image");
    }
}
