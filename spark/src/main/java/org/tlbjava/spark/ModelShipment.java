package org.tlbjava.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.tlbjava.TlbException;
import org.tlbjava.explain.TlbClassifier;
import org.tlbjava.io.AtomicFiles;
import org.tlbjava.model.SavedModel;

/**
 * A run directory's model files, broadcast with the job so that executors need no shared file
 * system, and the one classifier per executor JVM made from them: loaded on first use, then
 * shared by every task of the job (its calls are serialised; tasks decode images meanwhile).
 */
final class ModelShipment implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final List<String> FILES = List.of(SavedModel.CONFIG, SavedModel.CLASSES, SavedModel.MODEL);

    private static String loadedKey;
    private static TlbClassifier loaded;
    private static Path loadedDir;

    private final String key = UUID.randomUUID().toString();
    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private final List<String> classes;
    private final long maxImagePixels;

    /**
     * Loads {@code runDirectory}'s model here (its errors name the directory; in local mode the
     * executors are this JVM and use it) and packs its files.
     */
    ModelShipment(Path runDirectory) {
        TlbClassifier classifier = TlbClassifier.load(runDirectory);
        this.classes = classifier.classes();
        this.maxImagePixels = classifier.config().data().maxImagePixels();
        for (String name : FILES) {
            try {
                files.put(name, Files.readAllBytes(runDirectory.resolve(name)));
            } catch (IOException e) {
                classifier.close();
                throw new TlbException("cannot read " + runDirectory.resolve(name) + ": " + e.getMessage());
            }
        }
        install(classifier, null);
    }

    List<String> classes() {
        return classes;
    }

    long maxImagePixels() {
        return maxImagePixels;
    }

    /** This executor's classifier for the shipped model, loaded from the shipped files on first use. */
    TlbClassifier classifier() {
        synchronized (ModelShipment.class) {
            if (!key.equals(loadedKey)) {
                try {
                    Path dir = Files.createTempDirectory("tlb-spark-model");
                    for (Map.Entry<String, byte[]> file : files.entrySet()) {
                        Files.write(dir.resolve(file.getKey()), file.getValue());
                    }
                    install(TlbClassifier.load(dir), dir);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot unpack the shipped model", e);
                }
            }
            return loaded;
        }
    }

    /** Closes this JVM's model of this shipment, if loaded: the driver's (in local mode, the executors'), after the job. */
    void release() {
        synchronized (ModelShipment.class) {
            if (key.equals(loadedKey)) {
                install(null, null);
                loadedKey = null;
            }
        }
    }

    /** Makes {@code classifier} this JVM's model for this shipment, closing the one of an earlier job. */
    private void install(TlbClassifier classifier, Path dir) {
        synchronized (ModelShipment.class) {
            if (loaded != null) {
                loaded.close();
            }
            if (loadedDir != null) {
                AtomicFiles.deleteTree(loadedDir);
            }
            loaded = classifier;
            loadedDir = dir;
            loadedKey = key;
        }
    }
}
