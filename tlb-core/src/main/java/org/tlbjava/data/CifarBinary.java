package org.tlbjava.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.tlbjava.TlbException;

/** Reads CIFAR-10's official binary layout: records of 1 label byte and 3,072 pixel bytes. */
public final class CifarBinary {
    public static final String DIR_NAME = "cifar-10-batches-bin";
    public static final int SIDE = 32;
    private static final int PIXEL_BYTES = 3 * SIDE * SIDE;
    public static final int RECORD_BYTES = 1 + PIXEL_BYTES;
    public static final int TRAIN_BATCHES = 5;
    /** Records in each official batch file; no batch may hold more. */
    public static final int RECORDS_PER_BATCH = 10_000;
    public static final int BATCH_BYTES = RECORDS_PER_BATCH * RECORD_BYTES;
    private static final List<String> DEFAULT_CLASSES =
            List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    private CifarBinary() {}

    /** True when {@code dir} looks like an extracted CIFAR-10 binary directory. */
    public static boolean isBatchDir(Path dir) {
        return Files.isRegularFile(dir.resolve("data_batch_1.bin"));
    }

    /** The training batch files' names, in order. */
    public static List<String> trainBatchNames() {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= TRAIN_BATCHES; i++) {
            names.add("data_batch_" + i + ".bin");
        }
        return names;
    }

    /** Loads all five training batches (in order), the test batch when present, and the class names. */
    public static Splits load(Path dir, int trainSlice) {
        List<String> classes = classNames(dir);
        List<Path> files = new ArrayList<>();
        for (String name : trainBatchNames()) {
            Path file = dir.resolve(name);
            if (!Files.exists(file)) {
                throw new TlbException("CIFAR-10 batch " + file + " is missing (expected data_batch_1.bin"
                        + " … data_batch_5.bin in " + dir + ")");
            }
            files.add(file);
        }
        Path testFile = dir.resolve("test_batch.bin");
        if (Files.exists(testFile)) {
            files.add(testFile);
        }
        checkSameSize(files);
        List<ImageSet> batches = new ArrayList<>();
        for (Path file : files.subList(0, TRAIN_BATCHES)) {
            batches.add(readBatch(file, classes));
        }
        ImageSet all = ImageSet.concat(batches);
        if (trainSlice >= all.size()) {
            throw new TlbException("train_slice " + trainSlice + " leaves no validation images: "
                    + dir + " holds " + all.size() + " training records");
        }
        ImageSet test = files.size() > TRAIN_BATCHES ? readBatch(testFile, classes) : null;
        return new Splits(dir + " (CIFAR-10 binary)", all.slice(0, trainSlice),
                all.slice(trainSlice, all.size()), test, FileSizes.fixed(SIDE));
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

    /**
     * Every batch must hold the same number of records (10,000 in the official files), so a batch
     * cut short is refused even when it ends on a record boundary.
     */
    private static void checkSameSize(List<Path> files) {
        Path largest = files.get(0);
        for (Path file : files) {
            if (records(file) > records(largest)) {
                largest = file;
            }
        }
        for (Path file : files) {
            if (records(file) != records(largest)) {
                throw new TlbException(String.format(Locale.ROOT,
                        "CIFAR-10 batch %s holds %,d records (%,d bytes) but %s holds %,d (%,d bytes): every"
                                + " batch must hold the same number of records (%,d in the official files);"
                                + " the smaller file is cut short",
                        file, records(file), size(file), largest, records(largest), size(largest),
                        RECORDS_PER_BATCH));
            }
        }
    }

    /**
     * The number of records in a batch file, from its size alone: a file too large or not a whole
     * number of records is refused before anything is read (a 2 GB file would not fit in memory).
     */
    static int records(Path file) {
        long size = size(file);
        if (size == 0) {
            throw new TlbException("CIFAR-10 batch " + file + " is empty");
        }
        long records = size / RECORD_BYTES;
        long rest = size % RECORD_BYTES;
        if (rest != 0) {
            throw new TlbException(String.format(
                    "CIFAR-10 batch %s is truncated: its size %d is not a multiple of %d; the record"
                            + " at byte offset %d has only %d of %d bytes",
                    file, size, RECORD_BYTES, records * RECORD_BYTES, rest, RECORD_BYTES));
        }
        if (records > RECORDS_PER_BATCH) {
            throw new TlbException(String.format(Locale.ROOT,
                    "CIFAR-10 batch %s holds %,d records (%,d bytes); a CIFAR-10 batch holds exactly %,d"
                            + " (%,d bytes)", file, records, size, RECORDS_PER_BATCH, BATCH_BYTES));
        }
        return (int) records;
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (NoSuchFileException e) {
            throw new TlbException("CIFAR-10 batch " + file + " is missing");
        } catch (IOException e) {
            throw new TlbException("cannot read CIFAR-10 batch " + file + ": " + e.getMessage());
        }
    }

    /** Reads one batch file, checking its size, every label byte and that it holds real images. */
    public static ImageSet readBatch(Path file, List<String> classes) {
        int records = records(file);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new TlbException("cannot read CIFAR-10 batch " + file + ": " + e.getMessage());
        }
        if (bytes.length != (long) records * RECORD_BYTES) {
            throw new TlbException("CIFAR-10 batch " + file + " changed size while it was read");
        }
        byte[] pixels = new byte[records * PIXEL_BYTES];
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
            System.arraycopy(bytes, at + 1, pixels, i * PIXEL_BYTES, PIXEL_BYTES);
        }
        checkContent(file, pixels, labels, classes);
        return new ImageSet(pixels, labels, SIDE, SIDE, classes);
    }

    /**
     * Refuses a batch that is not a sample of images: all records the same picture (a zeroed file)
     * or one class holding more than half the records (an official batch holds ~1,000 of each).
     */
    private static void checkContent(Path file, byte[] pixels, int[] labels, List<String> classes) {
        int records = labels.length;
        boolean allSame = records > 1;
        for (int i = 1; i < records && allSame; i++) {
            allSame = Arrays.equals(pixels, 0, PIXEL_BYTES, pixels, i * PIXEL_BYTES, (i + 1) * PIXEL_BYTES);
        }
        if (allSame) {
            throw new TlbException(String.format(Locale.ROOT,
                    "CIFAR-10 batch %s: all %,d records hold the same pixels (a zeroed or blanked file?);"
                            + " it holds no images to learn from", file, records));
        }
        int[] counts = new int[classes.size()];
        for (int label : labels) {
            counts[label]++;
        }
        for (int c = 0; c < counts.length; c++) {
            if (2L * counts[c] > records) {
                throw new TlbException(String.format(Locale.ROOT,
                        "CIFAR-10 batch %s: %,d of its %,d records are class %d (%s); no class may hold more"
                                + " than half of a batch (an official batch holds about 1,000 of each class)",
                        file, counts[c], records, c, classes.get(c)));
            }
        }
    }
}
