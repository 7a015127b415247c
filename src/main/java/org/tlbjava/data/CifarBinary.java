package org.tlbjava.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tlbjava.TlbException;

/** Reads CIFAR-10's official binary layout: records of 1 label byte and 3,072 pixel bytes. */
public final class CifarBinary {
    public static final String DIR_NAME = "cifar-10-batches-bin";
    public static final int SIDE = 32;
    public static final int RECORD_BYTES = 1 + 3 * SIDE * SIDE;
    public static final int TRAIN_BATCHES = 5;
    private static final List<String> DEFAULT_CLASSES =
            List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    private CifarBinary() {}

    /** True when {@code dir} looks like an extracted CIFAR-10 binary directory. */
    public static boolean isBatchDir(Path dir) {
        return Files.isRegularFile(dir.resolve("data_batch_1.bin"));
    }

    /** Loads all five training batches (in order), the test batch when present, and the class names. */
    public static Splits load(Path dir, int trainSlice) {
        List<String> classes = classNames(dir);
        List<ImageSet> batches = new ArrayList<>();
        for (int i = 1; i <= TRAIN_BATCHES; i++) {
            Path file = dir.resolve("data_batch_" + i + ".bin");
            if (!Files.exists(file)) {
                throw new TlbException("CIFAR-10 batch " + file + " is missing (expected data_batch_1.bin"
                        + " … data_batch_5.bin in " + dir + ")");
            }
            batches.add(readBatch(file, classes));
        }
        ImageSet all = ImageSet.concat(batches);
        if (trainSlice >= all.size()) {
            throw new TlbException("train_slice " + trainSlice + " leaves no validation images: "
                    + dir + " holds " + all.size() + " training records");
        }
        Path testFile = dir.resolve("test_batch.bin");
        ImageSet test = Files.exists(testFile) ? readBatch(testFile, classes) : null;
        return new Splits(dir + " (CIFAR-10 binary)", all.slice(0, trainSlice),
                all.slice(trainSlice, all.size()), test);
    }

    /** Class names from {@code batches.meta.txt}, one per line; the standard ten when it is absent. */
    static List<String> classNames(Path dir) {
        Path meta = dir.resolve("batches.meta.txt");
        if (!Files.exists(meta)) {
            return DEFAULT_CLASSES;
        }
        try {
            List<String> names = new ArrayList<>();
            for (String line : Files.readAllLines(meta)) {
                if (!line.isBlank()) {
                    names.add(line.trim());
                }
            }
            if (names.size() != 10) {
                throw new TlbException(meta + ": expected 10 class names, found " + names.size());
            }
            return names;
        } catch (IOException e) {
            throw new TlbException("cannot read " + meta + ": " + e.getMessage());
        }
    }

    /** Reads one batch file, checking its size and every label byte. */
    public static ImageSet readBatch(Path file, List<String> classes) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TlbException("CIFAR-10 batch " + file + " is missing");
        } catch (IOException e) {
            throw new TlbException("cannot read CIFAR-10 batch " + file + ": " + e.getMessage());
        }
        if (bytes.length == 0) {
            throw new TlbException("CIFAR-10 batch " + file + " is empty");
        }
        int records = bytes.length / RECORD_BYTES;
        int rest = bytes.length % RECORD_BYTES;
        if (rest != 0) {
            throw new TlbException(String.format(
                    "CIFAR-10 batch %s is truncated: its size %d is not a multiple of %d; the record"
                            + " at byte offset %d has only %d of %d bytes",
                    file, bytes.length, RECORD_BYTES, (long) records * RECORD_BYTES, rest, RECORD_BYTES));
        }
        int pixelBytes = RECORD_BYTES - 1;
        byte[] pixels = new byte[records * pixelBytes];
        int[] labels = new int[records];
        for (int i = 0; i < records; i++) {
            int at = i * RECORD_BYTES;
            int label = bytes[at] & 0xff;
            if (label >= classes.size()) {
                throw new TlbException(String.format(
                        "CIFAR-10 batch %s: label %d at byte offset %d (record %d) is not in 0..%d",
                        file, label, at, i, classes.size() - 1));
            }
            labels[i] = label;
            System.arraycopy(bytes, at + 1, pixels, i * pixelBytes, pixelBytes);
        }
        return new ImageSet(pixels, labels, SIDE, SIDE, classes);
    }
}
