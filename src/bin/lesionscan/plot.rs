//! The evaluation figure: confusion-matrix heat map (row-normalised) beside per-class
//! recall bars.

use std::path::Path;

use plotters::coord::ranged1d::SegmentValue::{self, CenterOf, Exact};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use crate::metrics::Report;

static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

fn ensure_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            log::warn!("the bundled font did not load; the figure will have no text");
        }
    });
}

fn centre() -> Pos {
    Pos::new(HPos::Center, VPos::Center)
}

/// The class code at the centre of segment `v` (rows drawn top-down when `flip`).
fn segment_label(labels: &[String], v: &SegmentValue<usize>, flip: bool) -> String {
    match v {
        CenterOf(i) => {
            let i = if flip {
                labels.len().saturating_sub(1 + *i)
            } else {
                *i
            };
            labels.get(i).cloned().unwrap_or_default()
        }
        _ => String::new(),
    }
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Writes the figure to `path` (PNG).
pub(crate) fn draw(path: &Path, report: &Report, model_id: &str) -> DrawResult {
    ensure_font();
    let (width, height) = (1200u32, 560u32);
    // plotters draws into an RGB buffer; the `image` crate the library already uses
    // writes the PNG (plotters' own encoder would pull in a second `image` version).
    let mut pixels = vec![0u8; (width * height * 3) as usize];
    render(&mut pixels, (width, height), report, model_id)?;
    let figure = image::RgbImage::from_raw(width, height, pixels)
        .ok_or("figure buffer has the wrong size")?;
    figure.save_with_format(path, image::ImageFormat::Png)?;
    Ok(())
}

fn render(pixels: &mut [u8], size: (u32, u32), report: &Report, model_id: &str) -> DrawResult {
    let root = BitMapBackend::with_buffer(pixels, size).into_drawing_area();
    root.fill(&WHITE)?;
    let title = format!(
        "{model_id}: {} pictures, accuracy {:.1}%, balanced accuracy {:.1}%",
        report.evaluated,
        report.accuracy.unwrap_or(0.0) * 100.0,
        report.balanced_accuracy.unwrap_or(0.0) * 100.0
    );
    let root = root.titled(&title, ("sans-serif", 22))?;
    let (left, right) = root.split_horizontally(640);
    confusion(&left, report)?;
    recall_bars(&right, report)?;
    root.present()?;
    Ok(())
}

fn confusion(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    report: &Report,
) -> DrawResult {
    let n = report.labels.len();
    let labels = report.labels.clone();
    let mut chart = ChartBuilder::on(area)
        .caption(
            "confusion matrix (row share; rows true, columns predicted)",
            ("sans-serif", 16),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        // A segmented 0..m range has m + 1 segments.
        .build_cartesian_2d(
            (0..n.saturating_sub(1)).into_segmented(),
            (0..n.saturating_sub(1)).into_segmented(),
        )?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(n)
        .y_labels(n)
        .x_label_formatter(&|v| segment_label(&labels, v, false))
        .y_label_formatter(&|v| segment_label(&labels, v, true))
        .label_style(("sans-serif", 14))
        .draw()?;
    for (t, row) in report.confusion.iter().enumerate() {
        let total: usize = row.iter().sum();
        for (p, &count) in row.iter().enumerate() {
            let share = if total > 0 {
                count as f64 / total as f64
            } else {
                0.0
            };
            // White (0) to deep blue (1).
            let shade = |full: f64| (255.0 - share * (255.0 - full)) as u8;
            let colour = RGBColor(shade(20.0), shade(70.0), shade(160.0));
            let y = n - 1 - t;
            let (x0, x1, y0, y1) = (Exact(p), Exact(p + 1), Exact(y), Exact(y + 1));
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x0, y0), (x1, y1)],
                colour.filled(),
            )))?;
            let text_colour = if share > 0.5 { WHITE } else { BLACK };
            let style = ("sans-serif", 14)
                .into_font()
                .color(&text_colour)
                .pos(centre());
            chart.draw_series(std::iter::once(Text::new(
                format!("{count}"),
                (CenterOf(p), CenterOf(y)),
                style,
            )))?;
        }
    }
    Ok(())
}

fn recall_bars(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    report: &Report,
) -> DrawResult {
    let n = report.classes.len();
    let labels: Vec<String> = report.classes.iter().map(|c| c.code.clone()).collect();
    let mut chart = ChartBuilder::on(area)
        .caption("recall per class (n/a: no examples)", ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d((0..n.saturating_sub(1)).into_segmented(), 0f64..1f64)?;
    chart
        .configure_mesh()
        .x_labels(n)
        .x_label_formatter(&|v| segment_label(&labels, v, false))
        .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .label_style(("sans-serif", 14))
        .draw()?;
    for (i, class) in report.classes.iter().enumerate() {
        match class.recall {
            Some(recall) => {
                let colour = if class.code == "mel" {
                    RGBColor(200, 60, 40)
                } else {
                    RGBColor(40, 90, 170)
                };
                let bar = [(Exact(i), 0.0), (Exact(i + 1), recall)];
                chart.draw_series(std::iter::once(Rectangle::new(bar, colour.filled())))?;
            }
            None => {
                let style = ("sans-serif", 14).into_font().color(&BLACK).pos(centre());
                chart.draw_series(std::iter::once(Text::new(
                    "n/a",
                    (CenterOf(i), 0.05),
                    style,
                )))?;
            }
        }
    }
    Ok(())
}
