package org.tlbjava.train;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * The confusion matrix as a picture: a titled, row-normalised heat map with counts, cells sized
 * to the class count (large for a few classes, never below a readable size), class names in full
 * and both axes labelled.
 */
public final class ConfusionPicture {
    private static final int MATRIX_SIDE = 640;
    private static final int PAD = 16;

    private ConfusionPicture() {}

    /** {@code confusion[true][predicted]}; {@code title} names the run and split. */
    public static BufferedImage draw(List<String> classes, long[][] confusion, String title) {
        int n = classes.size();
        int cell = Math.max(40, Math.min(110, MATRIX_SIDE / n));
        Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(12, Math.min(18, cell / 4)));
        Font countFont = new Font(Font.SANS_SERIF, Font.BOLD, Math.max(11, Math.min(22, cell / 4)));
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 18);
        Font axisFont = new Font(Font.SANS_SERIF, Font.ITALIC, 15);
        FontMetrics labels = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics().getFontMetrics(labelFont);
        int longest = classes.stream().mapToInt(labels::stringWidth).max().orElse(0);
        int left = PAD + 24 + longest + 10; // axis label, class names, gap
        int top = PAD + 30 + 24 + longest + 10; // title, axis label, rotated class names, gap
        int width = Math.max(left + n * cell + PAD, 520);
        int height = top + n * cell + PAD;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(titleFont);
        g.drawString(title, PAD, PAD + 18);
        g.setFont(axisFont);
        g.drawString("predicted class", left, PAD + 30 + 16);
        AffineTransform plain = g.getTransform();
        g.rotate(-Math.PI / 2);
        g.drawString("true class", -(top + n * cell / 2 + 30), PAD + 16);
        g.setTransform(plain);
        g.setFont(labelFont);
        for (int c = 0; c < n; c++) {
            String name = classes.get(c);
            g.drawString(name, left - 10 - labels.stringWidth(name), top + c * cell + cell / 2 + labels.getAscent() / 2 - 2);
            g.rotate(-Math.PI / 2);
            g.drawString(name, -(top - 10), left + c * cell + cell / 2 + labels.getAscent() / 2 - 2);
            g.setTransform(plain);
        }
        g.setFont(countFont);
        FontMetrics counts = g.getFontMetrics();
        for (int t = 0; t < n; t++) {
            long total = 0;
            for (long v : confusion[t]) {
                total += v;
            }
            for (int p = 0; p < n; p++) {
                double share = total == 0 ? 0 : (double) confusion[t][p] / total;
                int shade = (int) Math.round(255 * (1 - share));
                g.setColor(new Color(shade, shade, 255));
                g.fillRect(left + p * cell, top + t * cell, cell - 1, cell - 1);
                g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
                String count = Long.toString(confusion[t][p]);
                g.drawString(count, left + p * cell + (cell - counts.stringWidth(count)) / 2,
                        top + t * cell + (cell + counts.getAscent()) / 2 - 2);
            }
        }
        g.dispose();
        return img;
    }
}
