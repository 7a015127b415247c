package org.tlbjava.serve;

import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's headless Chromium under Selenium, offline: the driver and browser are given by path
 * so Selenium Manager never looks for them on the network. The browser tests run everywhere;
 * only outside CI may {@code TLB_NO_BROWSER=1} skip them (a machine without Chromium).
 */
final class Browser {
    private Browser() {}

    static ChromeDriver start() {
        assumeFalse(System.getenv("TLB_NO_BROWSER") != null && System.getenv("CI") == null,
                "TLB_NO_BROWSER is set (outside CI): browser tests skipped");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(System.getProperty("tlb.chromium", "/usr/lib/chromium/chromium"));
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(System.getProperty("tlb.chromedriver", "/usr/bin/chromedriver")))
                .build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        return driver;
    }

    /** The console's errors since the last call. */
    static List<String> consoleErrors(ChromeDriver driver) {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .toList();
    }
}
