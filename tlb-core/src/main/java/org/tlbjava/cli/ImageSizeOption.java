package org.tlbjava.cli;

import org.tlbjava.config.ConfigResolver;
import org.tlbjava.data.DataLocator;
import org.tlbjava.data.Resolution;
import picocli.CommandLine.Option;

/** {@code --image-size N}, shared by the commands that read data and build a model. */
final class ImageSizeOption {
    @Option(names = "--image-size", paramLabel = "N", description = {
        "The side in pixels of the square image the network sees (default 48, config key image_size).",
        "Image folders are stored at N x N; CIFAR-10's 32x32 images are enlarged. The training resize",
        "(N + N/12, then a random N x N crop) follows; the log says what scaling happens."})
    Integer imageSize;

    /** Applies --image-size, when given, for the data that --data names. */
    void apply(ConfigResolver config, String data) {
        if (imageSize != null) {
            Resolution.setImageSize(config, imageSize, DataLocator.isImageFolder(data));
        }
    }

    boolean given() {
        return imageSize != null;
    }
}
