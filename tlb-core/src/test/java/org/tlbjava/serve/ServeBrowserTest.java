package org.tlbjava.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
        for (String image : new String[] {"confusion-image", "attention-image"}) {
            WebElement img = browser.findElement(By.id(image));
            waitUpTo(60).until(d -> ((Number) browser.executeScript("return arguments[0].naturalWidth", img)).intValue() > 0);
        }
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
        assertEquals(List.of(), Browser.consoleErrors(browser));
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
        assertTrue(browser.findElement(By.id("confusion-image")).getAttribute("src").startsWith("data:image/png"));
        assertEquals(List.of(), Browser.consoleErrors(browser));
    }
}
