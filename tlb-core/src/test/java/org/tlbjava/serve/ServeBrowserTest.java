package org.tlbjava.serve;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.tlbjava.testing.TrainedRuns;
import org.tlbjava.train.RunProgress;

/** The web pages in a real headless Chromium. */
class ServeBrowserTest {
    @TempDir
    static Path tmp;

    private static Path runs;
    private static Path live;
    private static TlbServer server;
    private static ChromeDriver browser;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        browser = Browser.start();
        runs = TrainedRuns.runsDir();
        live = Files.createDirectories(tmp.resolve("live"));
        Files.writeString(live.resolve("config.json"), "{\"epochs\": 5, \"batch_size\": 32, \"variant\": \"keras\"}");
        Files.copy(runs.resolve(TrainedRuns.RUN).resolve("classes.json"), live.resolve("classes.json"));
        writeHistory(1);
        writeLiveProgress();
        server = new TlbServer(new ModelRegistry(runs, List.of(live), ServeLimits.DEFAULT), ServeLimits.DEFAULT)
                .start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + server.port() + "/";
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
    }

    /** A history of {@code epochs} epochs, the first in the older camelCase keys and the rest in snake_case. */
    private static void writeHistory(int epochs) throws Exception {
        StringBuilder json = new StringBuilder("[{\"epoch\":1,\"loss\":2.3,\"accuracy\":0.1,\"valLoss\":2.2,"
                + "\"valAccuracy\":0.12,\"seconds\":9,\"learningRate\":0.001}");
        for (int e = 2; e <= epochs; e++) {
            json.append(",{\"epoch\":").append(e).append(",\"loss\":").append(2.3 - 0.2 * e)
                    .append(",\"accuracy\":0.2,\"val_loss\":2.0,\"val_accuracy\":").append(0.1 * e)
                    .append(",\"seconds\":9,\"learning_rate\":0.001}");
        }
        Path temp = live.resolve("history.json.tmp");
        Files.writeString(temp, json.append("]").toString());
        Files.move(temp, live.resolve("history.json"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** The live run's progress.json, as a run of this process in epoch 2, step 7 of 20, with 10 minutes left, writes it. */
    private static void writeLiveProgress() throws Exception {
        RunProgress.Snapshot progress = new RunProgress.Snapshot(RunProgress.TRAINING, "train", "2025-03-01T09:30:00Z",
                java.time.Instant.now().toString(), 125, ProcessHandle.current().pid(), RunProgress.host(), 2, 5, 7, 20,
                1.8765, 0.3125, 600);
        Files.writeString(live.resolve(RunProgress.FILE), new ObjectMapper().writeValueAsString(progress));
    }

    private static WebDriverWait waitUpTo(int seconds) {
        return new WebDriverWait(browser, Duration.ofSeconds(seconds));
    }

    private static int points(String series) {
        return browser.findElements(By.cssSelector("circle.point[data-series='" + series + "']")).size();
    }

    private static void open(String page) {
        browser.get(page);
        waitUpTo(60).until(d -> "complete".equals(browser.executeScript("return document.readyState")));
    }

    @Test
    void runsListAndRunPageLoadWithoutConsoleErrorsAndShowOnePointPerEpoch() {
        Browser.consoleErrors(browser);
        open(base);
        waitUpTo(60).until(d -> d.findElements(By.cssSelector("#runs tr[data-run]")).size() == 2);
        String row = browser.findElement(By.cssSelector("tr[data-run='" + TrainedRuns.RUN + "']")).getText();
        assertTrue(row.contains("finished") && row.contains(TrainedRuns.EPOCHS + " / " + TrainedRuns.EPOCHS), row);
        assertTrue(browser.findElement(By.cssSelector("tr[data-run='live']")).getText().contains("training"));
        open(base + "run.html?name=" + TrainedRuns.RUN);
        waitUpTo(60).until(d -> points("val_accuracy") > 0);
        for (String series : new String[] {"loss", "val_loss", "accuracy", "val_accuracy"}) {
            assertEquals(TrainedRuns.EPOCHS, points(series), series);
        }
        WebElement img = browser.findElement(By.id("attention-image"));
        waitUpTo(60).until(d -> ((Number) browser.executeScript("return arguments[0].naturalWidth", img)).intValue() > 0);
        assertEquals("", browser.findElement(By.id("error")).getText());
        assertEquals(List.of(), Browser.consoleErrors(browser));
    }

    @Test
    void tryItPageShowsAPredictionForAnUploadedImage() throws Exception {
        Browser.consoleErrors(browser);
        Path image = tmp.resolve("upload.png");
        Files.write(image, Http.png(Http.image(40, 7)));
        open(base + "try.html?model=" + TrainedRuns.RUN);
        waitUpTo(60).until(d -> !d.findElements(By.cssSelector("#model option")).isEmpty());
        browser.findElement(By.id("file")).sendKeys(image.toString());
        waitUpTo(120).until(d -> d.findElements(By.cssSelector("#bars .bar-row")).size() == 5);
        String attention = browser.findElement(By.id("attention")).getAttribute("src");
        assertTrue(attention.startsWith("data:image/png;base64,"), attention);
        assertTrue(browser.findElement(By.id("bars")).getText().contains("%"));
        assertEquals("", browser.findElement(By.id("error")).getText());
        assertNoPictureShrunkPixelated();
        assertEquals(List.of(), Browser.consoleErrors(browser));

        Path notAnImage = tmp.resolve("not-an-image.png");
        Files.writeString(notAnImage, "hello");
        browser.findElement(By.id("file")).sendKeys(notAnImage.toString());
        waitUpTo(60).until(d -> !d.findElement(By.id("error")).getText().isEmpty());
        assertEquals(0L, laidOutImages(), "the last answer's pictures are gone with the error");
        Browser.consoleErrors(browser); // the 400 itself is logged
    }

    @Test
    void aLiveRunsPageGainsAPointWhenAnEpochEnds() throws Exception {
        Browser.consoleErrors(browser);
        writeHistory(1);
        open(base + "run.html?name=live&poll=300");
        waitUpTo(60).until(d -> points("val_accuracy") == 1);
        writeHistory(2);
        waitUpTo(60).until(d -> points("val_accuracy") == 2);
        assertEquals(2, points("loss"));
        assertTrue(browser.findElement(By.id("status")).getText().contains("2 of 5 epochs"));
        String live = browser.findElement(By.id("live")).getText();
        assertTrue(live.contains("epoch 2 of 5: step 7 of 20 · loss 1.8765 · accuracy 0.3125 · ETA "), live);
        assertEquals(7L, browser.executeScript("return document.querySelector('#live progress').value")); // redrawn by polls
        assertEquals(List.of(), Browser.consoleErrors(browser));
    }

    @Test
    void theReportOpensFromAFileWithEverythingInlined() throws Exception {
        Browser.consoleErrors(browser);
        Path report = tmp.resolve("report.html");
        RunReport.write(runs.resolve(TrainedRuns.RUN), report);
        String html = Files.readString(report);
        assertFalse(html.contains("src=\"tlb.js\"") || html.contains("href=\"style.css\""), "scripts and style inlined");
        open(report.toUri().toString());
        assertEquals(TrainedRuns.EPOCHS, points("loss"));
        assertConfusionTableNames(runs.resolve(TrainedRuns.RUN));
        assertNoPictureShrunkPixelated();
        assertEquals(List.of(), Browser.consoleErrors(browser));
    }

    /** The table's header row and first column are the run's class names, as text; each cell's tooltip has its count. */
    private static void assertConfusionTableNames(Path run) throws Exception {
        List<String> classes = new ArrayList<>();
        new ObjectMapper().readTree(run.resolve("classes.json").toFile()).forEach(c -> classes.add(c.asText()));
        WebElement table = browser.findElement(By.id("confusion-table"));
        List<String> columns = table.findElements(By.cssSelector("thead th[scope='col']")).stream().map(WebElement::getText).toList();
        assertEquals(classes, columns.subList(0, classes.size()));
        assertEquals(classes, table.findElements(By.cssSelector("tbody th[scope='row']")).stream().map(WebElement::getText).toList());
        JsonNode counts = new ObjectMapper().readTree(run.resolve("confusion.json").toFile()).get("confusion");
        WebElement cell = table.findElements(By.cssSelector("tbody tr")).get(1).findElements(By.tagName("td")).get(0);
        assertEquals(counts.get(1).get(0).asText(), cell.getText());
        assertTrue(cell.getAttribute("title").startsWith("true " + classes.get(1) + ", predicted " + classes.get(0) + ": "
                + counts.get(1).get(0).asText() + " of "), cell.getAttribute("title"));
    }

    /** No loaded picture of the page is drawn narrower than it is with pixelated (nearest-neighbour) scaling. */
    private static void assertNoPictureShrunkPixelated() {
        @SuppressWarnings("unchecked")
        List<String> shrunk = (List<String>) browser.executeScript("return [...document.images].filter(img => img.naturalWidth"
                + " && getComputedStyle(img).imageRendering === 'pixelated'"
                + " && img.getBoundingClientRect().width < img.naturalWidth - 0.5).map(img => img.id || img.alt)");
        assertEquals(List.of(), shrunk);
    }

    @Test
    void theRunPagesConfusionMatrixIsATableOfTheClassNamesAndNoPictureIsShrunkPixelated() throws Exception {
        Browser.consoleErrors(browser);
        open(base + "run.html?name=" + TrainedRuns.RUN);
        waitUpTo(60).until(d -> !d.findElements(By.id("confusion-table")).isEmpty());
        assertConfusionTableNames(runs.resolve(TrainedRuns.RUN));
        assertTrue(browser.findElement(By.id("confusion-table")).getText().contains("images, accuracy"), "it says which set it counts");
        WebElement img = browser.findElement(By.id("attention-image"));
        waitUpTo(60).until(d -> ((Number) browser.executeScript("return arguments[0].naturalWidth", img)).intValue() > 0);
        assertNoPictureShrunkPixelated();
        assertEquals(List.of(), Browser.consoleErrors(browser));
    }

    private static Object laidOutImages() {
        return browser.executeScript("return [...document.images].filter(img => img.getClientRects().length).length");
    }

    @Test
    void tryItShowsNoImageBeforeAResult() {
        Browser.consoleErrors(browser);
        open(base + "try.html?model=" + TrainedRuns.RUN);
        waitUpTo(60).until(d -> !d.findElements(By.cssSelector("#model option")).isEmpty());
        assertEquals(0L, laidOutImages(), "no image (nor a broken-image icon) is laid out");
        assertEquals(List.of(), Browser.consoleErrors(browser));
    }

    @Test
    void compareDrawsOneCurvePerRunAndTheConfigDifferences() throws Exception {
        Browser.consoleErrors(browser);
        open(base + "compare?runs=" + TrainedRuns.RUN + ",live");
        waitUpTo(60).until(d -> !d.findElements(By.cssSelector("#config-table")).isEmpty());
        for (String chart : new String[] {"learning rate", "loss per step", "learning rate per step"}) {
            for (String run : new String[] {TrainedRuns.RUN, "live"}) {
                assertEquals(1, browser.findElements(By.cssSelector("svg[data-title='" + chart + "'] polyline[data-run='" + run
                        + "']")).size(), chart + ", " + run);
            }
        }
        for (String run : new String[] {TrainedRuns.RUN, "live"}) {
            assertEquals(2, browser.findElements(By.cssSelector("svg[data-title='loss (dashed: val_loss)'] polyline[data-run='" + run + "']")).size(),
                    "loss and val_loss of " + run);
        }
        int steps = 0;
        for (JsonNode epoch : new ObjectMapper().readTree(runs.resolve(TrainedRuns.RUN).resolve("history.json").toFile())) {
            steps += epoch.get("step_losses").size();
        }
        String line = browser.findElement(By.cssSelector("svg[data-title='loss per step'] polyline[data-run='" + TrainedRuns.RUN
                + "']")).getAttribute("points");
        assertEquals(steps, line.split(" ").length, "a point per step");
        String epochs = browser.findElement(By.cssSelector("#config-table tr[data-key='epochs']")).getText();
        assertEquals("epochs " + TrainedRuns.EPOCHS + " 5", epochs);
        assertTrue(browser.findElements(By.cssSelector("#config-table tr[data-key='variant']")).isEmpty(), "the same in both");
        assertEquals("", browser.findElement(By.id("error")).getText());
        assertEquals(List.of(), Browser.consoleErrors(browser));
    }

    @Test
    void theRunsListShowsStartDurationStateAndALiveRunsProgress() {
        Browser.consoleErrors(browser);
        open(base);
        waitUpTo(60).until(d -> d.findElements(By.cssSelector("#runs tr[data-run]")).size() == 2);
        WebElement tiny = browser.findElement(By.cssSelector("tr[data-run='" + TrainedRuns.RUN + "']"));
        assertTrue(tiny.findElement(By.className("started")).getText().matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d"),
                tiny.getText());
        assertTrue(tiny.findElement(By.className("duration")).getText().matches("\\d+ (s|min \\d+ s)"), tiny.getText());
        WebElement live = browser.findElement(By.cssSelector("tr[data-run='live']"));
        assertEquals("2 min 5 s", live.findElement(By.className("duration")).getText());
        assertTrue(live.getText().contains("epoch 2 of 5: step 7 of 20") && live.getText().contains("(10 min 0 s left)"),
                live.getText());
        browser.findElements(By.cssSelector("input.pick")).forEach(WebElement::click);
        browser.findElement(By.id("compare")).click();
        waitUpTo(60).until(d -> d.getCurrentUrl().contains("compare?runs="));
        assertEquals(List.of(), Browser.consoleErrors(browser));
    }
}
