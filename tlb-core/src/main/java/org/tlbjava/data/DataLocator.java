package org.tlbjava.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tlbjava.TlbException;
import org.tlbjava.config.RunConfig;

/**
 * Finds the training data: {@code --data DIR}, else {@code $TLB_DATA}, else a cache directory in
 * the user's home. Each may be the CIFAR-10 batch directory, a directory containing
 * {@code cifar-10-batches-bin/} or {@code cifar-10-binary.tar.gz}, or an image folder. When none
 * of these is there, CIFAR-10 is downloaded into it. Only the cache directory is ever created: a
 * mistyped {@code --data} or {@code $TLB_DATA} is an error, not a new empty folder.
 */
public final class DataLocator {
    public static final String CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
    public static final String CIFAR_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";
    public static final String ARCHIVE_NAME = "cifar-10-binary.tar.gz";
    /**
     * The official archive expands to ~185 MB: five training batches, the test batch and a few
     * small files. Anything far larger is not CIFAR-10 (a gzip bomb expands 1000-fold).
     */
    static final TarGzExtractor.Limits CIFAR_LIMITS = new TarGzExtractor.Limits(
            200_000_000L, CifarBinary.BATCH_BYTES + 64 * 1024, CifarBinary.trainBatchNames());

    private final String url;
    private final String md5;

    /** The official archive, unless the system properties {@code tlb.cifar.url}/{@code .md5} name a mirror. */
    public DataLocator() {
        this(System.getProperty("tlb.cifar.url", CIFAR_URL), System.getProperty("tlb.cifar.md5", CIFAR_MD5));
    }

    public DataLocator(String url, String md5) {
        this.url = url;
        this.md5 = md5;
    }

    /** Where the data is looked for, and who named it ({@code null}: the default cache directory). */
    private record Source(Path root, String namedBy) {}

    /** The directory to look in, following the order {@code --data}, {@code $TLB_DATA}, cache. */
    public static Path root(String dataOption) {
        return source(dataOption).root();
    }

    private static Source source(String dataOption) {
        if (dataOption != null && !dataOption.isBlank()) {
            return new Source(Path.of(dataOption), "--data");
        }
        String env = System.getenv("TLB_DATA");
        if (env != null && !env.isBlank()) {
            return new Source(Path.of(env), "$TLB_DATA");
        }
        return new Source(Path.of(System.getProperty("user.home"), ".cache", "tlb"), null);
    }

    /** The splits, sampled down to the config's {@code train_limit}/{@code val_limit} (stratified, seeded). */
    public Splits load(String dataOption, RunConfig config) {
        Source source = source(dataOption);
        if (source.namedBy() != null && !Files.exists(source.root())) {
            throw missing(source);
        }
        return find(source.root(), config).limit(config.data().trainLimit(), config.data().valLimit(), config.train().seed());
    }

    private static TlbException missing(Source source) {
        Path root = source.root();
        return new TlbException(source.namedBy() + " " + root + " does not exist. Looked for: " + root
                + " (a CIFAR-10 batch directory, a .tar.gz, or an image folder with <class>/ or train/<class>/"
                + " subfolders), " + root.resolve(CifarBinary.DIR_NAME) + ", " + root.resolve(ARCHIVE_NAME)
                + ". Nothing was created or downloaded: only the cache directory (used when neither --data nor"
                + " $TLB_DATA is given) is created for a download");
    }

    /**
     * True when the data named by {@code dataOption} (or found by the same search) is an image
     * folder, whose images are scaled on loading; false for CIFAR-10, whose images are 32x32.
     */
    public static boolean isImageFolder(String dataOption) {
        return isImageFolder(source(dataOption).root());
    }

    private static boolean isImageFolder(Path root) {
        return Files.isDirectory(root) && !CifarBinary.isBatchDir(root)
                && !CifarBinary.isBatchDir(root.resolve(CifarBinary.DIR_NAME))
                && !Files.isRegularFile(root.resolve(ARCHIVE_NAME)) && ImageFolder.looksLikeImageFolder(root);
    }

    private Splits find(Path root, RunConfig config) {
        if (isImageFolder(root)) {
            return ImageFolder.load(root, config.data().inputSide(), config.data().valFraction(), config.train().seed(), config.data().maxImagePixels());
        }
        if (Files.isRegularFile(root) && root.getFileName().toString().endsWith(".tar.gz")) {
            return CifarBinary.load(extracted(root, root.toAbsolutePath().getParent()), config.data().trainSlice());
        }
        if (CifarBinary.isBatchDir(root)) {
            return CifarBinary.load(root, config.data().trainSlice());
        }
        Path batches = root.resolve(CifarBinary.DIR_NAME);
        if (CifarBinary.isBatchDir(batches)) {
            return CifarBinary.load(batches, config.data().trainSlice());
        }
        Path archive = root.resolve(ARCHIVE_NAME);
        if (Files.isRegularFile(archive)) {
            return CifarBinary.load(extracted(archive, root), config.data().trainSlice());
        }
        download(root);
        return CifarBinary.load(extracted(archive, root), config.data().trainSlice());
    }

    private static Path extracted(Path archive, Path parent) {
        Path dir = parent.resolve(CifarBinary.DIR_NAME);
        if (CifarBinary.isBatchDir(dir)) {
            return dir;
        }
        System.err.println("Extracting " + archive + " …");
        return TarGzExtractor.extract(archive, parent, CifarBinary.DIR_NAME, CIFAR_LIMITS);
    }

    private void download(Path root) {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new TlbException("no CIFAR-10 data in " + root + " and cannot create it to download"
                    + " into (" + e.getMessage() + "); point --data at a directory holding "
                    + CifarBinary.DIR_NAME + "/ or " + ARCHIVE_NAME);
        }
        new Downloader().download(url, md5, root.resolve(ARCHIVE_NAME),
                "Without network access, download " + url + " elsewhere and pass its directory with"
                        + " --data DIR (or set TLB_DATA).");
    }
}
