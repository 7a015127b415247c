package org.tlbjava.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.testing.Synthetic;

/** What {@code predict} does with input that is not a plain image file, on a tiny trained model. */
class PredictInputTest {
    @TempDir
    static Path tmp;

    static Path run;
    static Path png;

    @BeforeAll
    static void trainATinyModel() throws Exception {
        Path data = tmp.resolve("data");
        Synthetic.cifarDir(data, 10, false);
        run = tmp.resolve("run");
        CliTest.Result r = CliTest.tlb("train", "--data", data.toString(), "--set", "train_slice=40", "--batch-size", "8",
                "--epochs", "1", "--set", "embed_dim=16", "--set", "key_dim=16", "--set", "num_layers=1",
                "--out", run.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        png = tmp.resolve("red.png");
        BufferedImage red = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        red.getGraphics().setColor(Color.RED);
        red.getGraphics().fillRect(0, 0, 32, 32);
        ImageIO.write(red, "png", png.toFile());
    }

    @Test
    void missingFilesEmptyDirectoriesAndUnmatchedGlobsAreNamedPlainly() throws Exception {
        Path missing = tmp.resolve("cta.jpg");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        String glob = tmp + "/nothing/*.png";
        CliTest.Result r = CliTest.tlb("predict", "--model", run.toString(), missing.toString(), empty.toString(), glob);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("tlb: error: " + missing + ": no such file"), r.err());
        assertTrue(r.err().contains("tlb: error: " + empty + " is a directory with no PNG, JPEG"), r.err());
        assertTrue(r.err().contains("tlb: error: " + glob + ": no files match this pattern"), r.err());
    }

    @Test
    void csvCellsAreNeverFormulas() throws Exception {
        Path hostile = Files.createDirectories(tmp.resolve("hostile"));
        Files.copy(run.resolve("config.json"), hostile.resolve("config.json"));
        Files.copy(run.resolve("model.params"), hostile.resolve("model.params"));
        String[] classes = Synthetic.CLASSES.clone();
        classes[0] = "=HYPERLINK(\"http://x\")";
        classes[1] = "+1+1";
        classes[2] = "-2+3";
        classes[3] = "@SUM(1)";
        Files.writeString(hostile.resolve("classes.json"), new ObjectMapper().writeValueAsString(classes));
        Path file = Files.copy(png, tmp.resolve("=1+1.png"));
        CliTest.Result r = CliTest.tlb("predict", "--model", hostile.toString(), "--csv", "--top",
                Integer.toString(classes.length), file.toString());
        assertEquals(0, r.code(), r.err());
        String row = r.out().strip().split("\n")[1];
        for (String hostileCell : List.of("\"'=HYPERLINK(\"\"http://x\"\")\"", "'+1+1", "'-2+3", "'@SUM(1)")) {
            assertTrue(row.contains("," + hostileCell + ","), hostileCell + " in " + row);
        }
        assertTrue(row.startsWith(file.toString() + ","), "a path starting with / stays as it is: " + row);
    }

    @Test
    void aDashReadsOneImageFromStdin() throws Exception {
        CliTest.Result fromFile = CliTest.tlb("predict", "--model", run.toString(), png.toString());
        InputStream oldIn = System.in;
        System.setIn(new ByteArrayInputStream(Files.readAllBytes(png)));
        CliTest.Result fromStdin;
        try {
            fromStdin = CliTest.tlb("predict", "--model", run.toString(), "-");
        } finally {
            System.setIn(oldIn);
        }
        assertEquals(0, fromStdin.code(), fromStdin.err());
        assertEquals(fromFile.out().replace(png.toString(), "-"), fromStdin.out());
        CliTest.Result twice = CliTest.tlb("predict", "--model", run.toString(), "-", "-");
        assertEquals(2, twice.code(), "a usage error");
        assertTrue(twice.err().contains("may be given once"), twice.err());
    }

    @Test
    void helpNamesTheSupportedFormats() {
        CliTest.Result r = CliTest.tlb("predict", "--help");
        assertTrue(r.out().contains("PNG, JPEG, BMP, GIF, TIFF, WBMP"), r.out());
        assertTrue(r.out().contains("- reads one image from stdin"), r.out());
    }
}
