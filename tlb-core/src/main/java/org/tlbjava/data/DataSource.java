package org.tlbjava.data;

import java.nio.file.Path;
import org.tlbjava.config.RunConfig;

/**
 * Where a run's images come from, as {@code --data} names it: a CIFAR-10 batch directory or
 * archive, or an image folder ({@code <class>/} or {@code train/<class>/} subfolders). Without a
 * location, {@code $TLB_DATA}, else {@code ~/.cache/tlb} (where CIFAR-10 is downloaded).
 *
 * @param location the path as given; null for the default search
 */
public record DataSource(String location) {
    /** The data at {@code path}. */
    public static DataSource at(Path path) {
        return new DataSource(path.toString());
    }

    /** {@code $TLB_DATA}, else the cache directory {@code ~/.cache/tlb}. */
    public static DataSource standard() {
        return new DataSource(null);
    }

    /** The directory or archive searched. */
    public Path root() {
        return DataLocator.root(location);
    }

    /** The absolute, normalised root: what a run records as its data's path. */
    public String path() {
        return root().toAbsolutePath().normalize().toString();
    }

    /** The train/val(/test) splits, sampled down to the config's limits. */
    public Splits load(RunConfig config) {
        return new DataLocator().load(location, config);
    }
}
