package org.tlbjava.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.tlbjava.TlbException;
import org.tlbjava.io.AtomicFiles;

/**
 * A run's page as one self-contained HTML file: the served run page with its stylesheet,
 * scripts, data and pictures inlined, so it opens anywhere without a server or the network.
 */
public final class RunReport {
    private RunReport() {}

    public static String html(RunInfo run) {
        String page = resource("run.html");
        page = inline(page, "<link rel=\"stylesheet\" href=\"style.css\">", "<style>\n" + resource("style.css") + "</style>");
        page = inline(page, "<script src=\"tlb.js\"></script>", "<script>\n" + resource("tlb.js") + "</script>");
        return inline(page, "<script src=\"run.js\"></script>", "<script type=\"application/json\" id=\"run-data\">"
                + data(run) + "</script>\n<script>\n" + resource("run.js") + "</script>");
    }

    /** Writes the report of the run in {@code runDir} to {@code out}. */
    public static void write(Path runDir, Path out) throws IOException {
        Path name = runDir.toAbsolutePath().normalize().getFileName();
        AtomicFiles.writeString(out, html(new RunInfo(name == null ? "run" : name.toString(), runDir)));
    }

    /** {@code report.html} in the run directory at the end of training; a failure only warns, the run is done. */
    public static void writeAfterTraining(Path runDir, Consumer<String> say) {
        Path file = runDir.resolve("report.html");
        try {
            write(runDir, file);
            say.accept("Report: " + file);
        } catch (IOException | TlbException e) {
            say.accept("warning: could not write " + file + ": " + e.getMessage());
        }
    }

    /** The run page's data, pictures as data: URIs; '<' escaped so no string can end the script element. */
    private static String data(RunInfo run) {
        Map<String, Object> page = run.page();
        Map<String, String> images = new LinkedHashMap<>();
        run.images().forEach((kind, png) -> images.put(kind, "data:image/png;base64," + Base64.getEncoder().encodeToString(png)));
        page.put("images", images);
        try {
            return RunInfo.JSON.writeValueAsString(page).replace("<", "\\u003c");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String inline(String page, String tag, String replacement) {
        if (!page.contains(tag)) {
            throw new IllegalStateException("run.html no longer has " + tag);
        }
        return page.replace(tag, replacement);
    }

    /** A file of the pages, from the jar. */
    static String resource(String name) {
        try (InputStream in = RunReport.class.getResourceAsStream(TlbServer.WEB + "/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
