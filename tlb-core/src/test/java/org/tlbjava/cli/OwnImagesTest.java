package org.tlbjava.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.testing.Synthetic;

/** A user's own folder of photos (mixed sizes, formats, grayscale): data, train, summary, predict, attention. */
class OwnImagesTest {
    @TempDir
    static Path tmp;

    static Path folder;
    static Path run;

    /** A small model, so that a test trains in seconds. */
    static final String[] SMALL = {"--set", "embed_dim=16", "--set", "key_dim=16", "--set", "num_layers=1"};

    static CliTest.Result tlb(List<String> args) {
        return CliTest.tlb(args.toArray(String[]::new));
    }

    static List<String> small(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.addAll(List.of(SMALL));
        return all;
    }

    @BeforeAll
    static void trainOnAFolder() throws Exception {
        folder = Synthetic.imageFolder(tmp.resolve("photos"), 20);
        Files.writeString(folder.resolve("cat/notes.txt"), "not an image");
        Files.writeString(folder.resolve("cat/._cat-0.png"), "macOS resource fork, skipped by name");
        run = tmp.resolve("run");
        CliTest.Result r = tlb(small("train", "--data", folder.toString(), "--image-size", "32", "--epochs", "2",
                "--lr", "0.003", "--out", run.toString()));
        assertEquals(0, r.code(), r.out() + r.err());
    }

    @Test
    void dataReportsTheResolutionAnImageSizeGives() throws Exception {
        CliTest.Result r = CliTest.tlb("data", "--data", folder.toString(), "--image-size", "64", "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Resolution: the network sees 64x64 (image_size 64)"), r.out());
        assertTrue(r.out().contains("image files (80x64 to 96x96, most 80x64) are scaled to 64x64"), r.out());
        JsonNode json = r.json();
        assertEquals(64, json.get("image_size").asInt());
        assertEquals("[64,64,3]", json.get("input_shape").toString());
    }

    @Test
    void aFolderTrainsAtImageSize64() {
        Path out = tmp.resolve("run64");
        CliTest.Result r = tlb(small("train", "--data", folder.toString(), "--image-size", "64", "--epochs", "1",
                "--out", out.toString()));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("Resolution: the network sees 64x64"), r.out());
        assertTrue(r.out().contains("training: resized to 69x69 (+ resize_margin 5), random 64x64 crop"), r.out());
    }

    @Test
    void aSmallFolderTrainsWithTheDefaultSettings() {
        CliTest.Result r = CliTest.tlb("train", "--data", folder.toString(), "--epochs", "1", "--out",
                tmp.resolve("defaults").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("Batch: 4 (the default 2048 gives 0 steps an epoch over 48 training images"), r.out());
        CliTest.Result chosen = CliTest.tlb("train", "--data", folder.toString(), "--epochs", "1", "--batch-size", "2048",
                "--out", tmp.resolve("chosen").toString());
        assertEquals(2, chosen.code());
        assertTrue(chosen.err().contains("use --batch-size 4"), chosen.err());
        assertFalse(Files.exists(tmp.resolve("chosen")), "nothing written for a refused run");
    }

    @Test
    void trainLimitsKeepEveryClassAndTrainSaysWhatItUses() {
        CliTest.Result r = tlb(small("train", "--data", folder.toString(), "--train-limit", "12", "--val-limit", "6",
                "--epochs", "1", "--batch-size", "4", "--out", tmp.resolve("limited").toString()));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("12 train (bird 4, cat 4, dog 4), 6 val images (bird 2, cat 2, dog 2)"), r.out());
    }

    @Test
    void summarySizesTheHeadForTheDataOrTheRun() throws Exception {
        CliTest.Result data = CliTest.tlb("summary", "--data", folder.toString(), "--json");
        assertEquals(0, data.code(), data.err());
        assertEquals(3, data.json().get("num_classes").asInt());
        assertTrue(Pattern.compile("(?m)^head \\(Dense\\) +\\(None, 3\\) +195$").matcher(data.out()).find(), data.out());
        CliTest.Result model = CliTest.tlb("summary", "--model", run.toString(), "--json");
        assertEquals(0, model.code(), model.err());
        assertEquals(3, model.json().get("num_classes").asInt());
        assertEquals(2, CliTest.tlb("summary", "--model", run.toString(), "--set", "embed_dim=8").code());
    }

    @Test
    void predictClassifiesEveryImageUnderADirectoryAsCsv() throws Exception {
        CliTest.Result r = CliTest.tlb("predict", "--model", run.toString(), "--csv", "--top", "2", folder.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals("file,class_1,probability_1,class_2,probability_2,error", lines.get(0));
        assertEquals(60 + 1, lines.size(), "a row for each of the 60 images (notes.txt and ._cat-0.png are not)");
        long right = lines.stream().skip(1).filter(l -> l.contains("/bird/bird-") && l.split(",")[1].equals("bird")
                || l.contains("/cat/cat-") && l.split(",")[1].equals("cat")
                || l.contains("/dog/dog-") && l.split(",")[1].equals("dog")).count();
        assertTrue(right >= 40, "the colours are learnt: " + right + " of 60\n" + r.out());
        CliTest.Result glob = CliTest.tlb("predict", "--model", run.toString(), "--csv", folder + "/**/dog-1*.png");
        assertEquals(0, glob.code(), glob.err());
        assertTrue(glob.out().lines().skip(1).allMatch(l -> l.contains("/dog/dog-1")), glob.out());
        assertTrue(glob.out().lines().count() > 2, glob.out());
    }

    @Test
    void aBadFileFailsTheExitCodeUnlessSkipped() throws Exception {
        Path bad = Files.writeString(tmp.resolve("broken.png"), "not a png");
        Path good = folder.resolve("bird/bird-0.jpg");
        CliTest.Result strict = CliTest.tlb("predict", "--model", run.toString(), good.toString(), bad.toString());
        assertEquals(1, strict.code());
        assertTrue(strict.out().contains(good + ":"), "the good image is still classified: " + strict.out());
        assertTrue(strict.err().contains("1 of 2 inputs could not be read; exit code 1"), strict.err());
        CliTest.Result skipped = CliTest.tlb("predict", "--model", run.toString(), "--skip-bad", "--csv",
                good.toString(), bad.toString());
        assertEquals(0, skipped.code(), skipped.err());
        assertTrue(skipped.err().contains("warning: skipping " + bad), skipped.err());
        assertTrue(skipped.out().contains(bad + ",,,,,,,"), "the bad file's row says why: " + skipped.out());
        assertEquals(1, CliTest.tlb("predict", "--model", run.toString(), "--skip-bad", bad.toString()).code(),
                "nothing classified");
    }

    @Test
    void attentionOnFilesNamesItsOutputsAfterThem() throws Exception {
        Path out = tmp.resolve("attention");
        Path bird = folder.resolve("bird/bird-3.jpg");
        Path dog = folder.resolve("dog/dog-4.png");
        CliTest.Result r = CliTest.tlb("attention", "--model", run.toString(), "--out", out.toString(), bird.toString(),
                dog.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(Files.isRegularFile(out.resolve("bird-3.png")), r.out());
        assertTrue(Files.isRegularFile(out.resolve("dog-4.png")), r.out());
        assertTrue(Files.isRegularFile(out.resolve("grid.png")));
        List<String> index = Files.readAllLines(out.resolve("index.csv"));
        assertEquals("output,source,true_class,predicted,probability", index.get(0));
        assertTrue(index.get(1).startsWith("bird-3.png," + bird + ",,"), index.toString());
    }
}
