package org.tlbjava.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tlbjava.TlbException;
import org.tlbjava.config.TlbConfig;

/**
 * Finds the training data: {@code --data DIR}, else {@code $TLB_DATA}, else a cache directory in
 * the user's home. Each may be the CIFAR-10 batch directory, a directory containing
 * {@code cifar-10-batches-bin/} or {@code cifar-10-binary.tar.gz}, or an image folder. When none
 * of these is there, CIFAR-10 is downloaded into it.
 */
public final class DataLocator {
    public static final String CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
    public static final String CIFAR_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";
    public static final String ARCHIVE_NAME = "cifar-10-binary.tar.gz";

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

    /** The directory to look in, following the order {@code --data}, {@code $TLB_DATA}, cache. */
    public static Path root(String dataOption) {
        if (dataOption != null && !dataOption.isBlank()) {
            return Path.of(dataOption);
        }
        String env = System.getenv("TLB_DATA");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "tlb");
    }

    /** The splits, cut to the config's {@code train_limit}/{@code val_limit}. */
    public Splits load(String dataOption, TlbConfig config) {
        return find(root(dataOption), config).limit(config.trainLimit, config.valLimit);
    }

    private Splits find(Path root, TlbConfig config) {
        if (Files.isRegularFile(root) && root.getFileName().toString().endsWith(".tar.gz")) {
            return CifarBinary.load(extracted(root, root.toAbsolutePath().getParent()), config.trainSlice);
        }
        if (CifarBinary.isBatchDir(root)) {
            return CifarBinary.load(root, config.trainSlice);
        }
        Path batches = root.resolve(CifarBinary.DIR_NAME);
        if (CifarBinary.isBatchDir(batches)) {
            return CifarBinary.load(batches, config.trainSlice);
        }
        Path archive = root.resolve(ARCHIVE_NAME);
        if (Files.isRegularFile(archive)) {
            return CifarBinary.load(extracted(archive, root), config.trainSlice);
        }
        if (Files.isDirectory(root) && ImageFolder.looksLikeImageFolder(root)) {
            return ImageFolder.load(root, config.inputShape[0], config.valFraction, config.seed);
        }
        download(root);
        return CifarBinary.load(extracted(archive, root), config.trainSlice);
    }

    private static Path extracted(Path archive, Path parent) {
        Path dir = parent.resolve(CifarBinary.DIR_NAME);
        if (CifarBinary.isBatchDir(dir)) {
            return dir;
        }
        System.err.println("Extracting " + archive + " …");
        return TarGzExtractor.extract(archive, parent, CifarBinary.DIR_NAME);
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
