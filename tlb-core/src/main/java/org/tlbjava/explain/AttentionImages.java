package org.tlbjava.explain;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Draws what the reference plots: the input image, and beside it the image with the TLB
 * attention heat map over it in the inferno colour map at alpha 0.6. The heat map is scaled to
 * its own minimum and maximum, as matplotlib's {@code imshow} does; every picture ends with the
 * colour scale from that minimum to that maximum.
 */
public final class AttentionImages {
    static final double ALPHA = 0.6;
    private static final int TITLE = 16;
    /** The colour scale's strip: a bar between "low" and "high". */
    private static final int SCALE = 22;
    private static final int SCALE_BAR_WIDTH = 128;

    private AttentionImages() {}

    /** The model input (float CHW in [0, 1], {@code side x side}) as an RGB image. */
    public static BufferedImage image(float[] chw, int offset, int side) {
        BufferedImage out = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        int plane = side * side;
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int i = offset + y * side + x;
                out.setRGB(x, y, (channel(chw[i]) << 16) | (channel(chw[i + plane]) << 8) | channel(chw[i + 2 * plane]));
            }
        }
        return out;
    }

    /** The image with the heat map blended over it: 0.6 inferno + 0.4 image. */
    public static BufferedImage overlay(BufferedImage image, float[] heat) {
        int side = image.getWidth();
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : heat) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float range = max > min ? max - min : 1;
        BufferedImage out = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int colour = Inferno.rgb((heat[y * side + x] - min) / range);
                int pixel = image.getRGB(x, y);
                out.setRGB(x, y, blend(colour, pixel));
            }
        }
        return out;
    }

    private static int blend(int over, int under) {
        int rgb = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int a = (over >> shift) & 0xff;
            int b = (under >> shift) & 0xff;
            rgb |= (int) Math.round(ALPHA * a + (1 - ALPHA) * b) << shift;
        }
        return rgb;
    }

    /** Under {@code title}, "Original" and "TLB Attention" side by side, each scaled up {@code zoom} times. */
    public static BufferedImage sideBySide(BufferedImage image, float[] heat, int zoom, String title) {
        BufferedImage overlay = overlay(image, heat);
        int side = image.getWidth() * zoom;
        BufferedImage out = new BufferedImage(2 * side + 8, side + 2 * TITLE, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(out);
        title(g, title, 0, 0);
        title(g, "Original", 0, TITLE);
        title(g, "TLB Attention", side + 8, TITLE);
        g.drawImage(image, 0, 2 * TITLE, side, side, null);
        g.drawImage(overlay, side + 8, 2 * TITLE, side, side, null);
        g.dispose();
        return withScale(out);
    }

    /**
     * {@code picture} with the heat maps' colour scale below it: inferno from "low" (each map's
     * minimum) to "high" (its maximum).
     */
    public static BufferedImage withScale(BufferedImage picture) {
        BufferedImage out = new BufferedImage(picture.getWidth(), picture.getHeight() + SCALE, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(out);
        g.drawImage(picture, 0, 0, null);
        int top = picture.getHeight() + 4;
        int left = 2 + g.getFontMetrics().stringWidth("low") + 4;
        int width = Math.max(16, Math.min(SCALE_BAR_WIDTH, out.getWidth() - 2 * left));
        title(g, "low", 0, top - 2);
        for (int x = 0; x < width; x++) {
            g.setColor(new Color(Inferno.rgb(x / (width - 1.0))));
            g.drawLine(left + x, top, left + x, top + 10);
        }
        title(g, "high", left + width + 2, top - 2);
        g.dispose();
        return out;
    }

    /** A grid of attention overlays, each titled "true: X / pred: Y", and the colour scale. */
    public static BufferedImage grid(List<BufferedImage> overlays, List<String> titles, int zoom) {
        int columns = Math.min(4, overlays.size());
        int rows = (overlays.size() + columns - 1) / columns;
        int side = overlays.get(0).getWidth() * zoom;
        Graphics2D probe = canvas(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB));
        int widest = titles.stream().mapToInt(t -> probe.getFontMetrics().stringWidth(t)).max().orElse(0);
        probe.dispose();
        int cellW = Math.max(side, widest + 4) + 8;
        int cellH = side + TITLE + 8;
        BufferedImage out = new BufferedImage(columns * cellW, rows * cellH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(out);
        for (int i = 0; i < overlays.size(); i++) {
            int x = (i % columns) * cellW;
            int y = (i / columns) * cellH;
            title(g, titles.get(i), x, y);
            g.drawImage(overlays.get(i), x, y + TITLE, side, side, null);
        }
        g.dispose();
        return withScale(out);
    }

    private static Graphics2D canvas(BufferedImage out) {
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        return g;
    }

    private static void title(Graphics2D g, String text, int x, int y) {
        g.setColor(Color.BLACK);
        g.drawString(text, x + 2, y + TITLE - 4);
    }

    private static int channel(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255)));
    }
}
