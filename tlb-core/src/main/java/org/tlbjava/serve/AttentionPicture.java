package org.tlbjava.serve;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.tlbjava.explain.AttentionImages;

/** The attention map over the image the model saw, with its colour scale, as a base64 PNG for a JSON answer. */
final class AttentionPicture {
    private static final int ZOOM = 4;

    private AttentionPicture() {}

    static String base64Png(BufferedImage image, float[][] heat) {
        int side = heat.length;
        float[] flat = new float[side * side];
        for (int y = 0; y < side; y++) {
            System.arraycopy(heat[y], 0, flat, y * side, side);
        }
        BufferedImage overlay = AttentionImages.overlay(scaled(image, side, true), flat);
        BufferedImage zoomed = AttentionImages.withScale(scaled(overlay, side * ZOOM, false));
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(zoomed, "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Base64.getEncoder().encodeToString(png.toByteArray());
    }

    private static BufferedImage scaled(BufferedImage image, int side, boolean smooth) {
        BufferedImage out = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, smooth ? RenderingHints.VALUE_INTERPOLATION_BILINEAR
                : RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.drawImage(image, 0, 0, side, side, null);
        g.dispose();
        return out;
    }
}
