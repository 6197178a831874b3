//! The evaluation figure: on top, the confusion-matrix heat map (row-normalised) beside
//! per-class recall bars; below, the ROC curve of every class, whole and above 80 %
//! sensitivity (the region ISIC's AUC80 measures).

use std::path::Path;

use plotters::coord::ranged1d::SegmentValue::{self, CenterOf, Exact};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use super::isic::{IsicReport, Roc};
use super::metrics::Report;

static FONT: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");

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
pub(crate) fn draw(path: &Path, report: &Report, isic: &IsicReport, model_id: &str) -> DrawResult {
    ensure_font();
    let (width, height) = (1200u32, 1100u32);
    // plotters draws into an RGB buffer; the `image` crate the library already uses
    // writes the PNG (plotters' own encoder would pull in a second `image` version).
    let mut pixels = vec![0u8; (width * height * 3) as usize];
    render(&mut pixels, (width, height), report, isic, model_id)?;
    let figure = image::RgbImage::from_raw(width, height, pixels)
        .ok_or("figure buffer has the wrong size")?;
    figure.save_with_format(path, image::ImageFormat::Png)?;
    Ok(())
}

fn render(
    pixels: &mut [u8],
    size: (u32, u32),
    report: &Report,
    isic: &IsicReport,
    model_id: &str,
) -> DrawResult {
    let root = BitMapBackend::with_buffer(pixels, size).into_drawing_area();
    root.fill(&WHITE)?;
    let title = format!(
        "{model_id}: {} pictures, accuracy {:.1}%, balanced accuracy {:.1}%",
        report.evaluated,
        report.accuracy.unwrap_or(0.0) * 100.0,
        report.balanced_accuracy.unwrap_or(0.0) * 100.0
    );
    let root = root.titled(&title, ("sans-serif", 22))?;
    let (top, bottom) = root.split_vertically(530);
    let (left, right) = top.split_horizontally(640);
    confusion(&left, report)?;
    recall_bars(&right, report)?;
    let (left, right) = bottom.split_horizontally(600);
    roc_curves(&left, isic, 0.0, "ROC curve per class (legend: AUC)")?;
    roc_curves(
        &right,
        isic,
        0.8,
        "ROC above 80% sensitivity (legend: AUC80)",
    )?;
    root.present()?;
    Ok(())
}

fn confusion(area: &Area<'_>, report: &Report) -> DrawResult {
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

fn recall_bars(area: &Area<'_>, report: &Report) -> DrawResult {
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

/// One colour per class, told apart also in grey scale by their lightness.
const CLASS_COLOURS: [RGBColor; 8] = [
    RGBColor(200, 60, 40),
    RGBColor(40, 90, 170),
    RGBColor(60, 150, 60),
    RGBColor(230, 150, 20),
    RGBColor(130, 70, 160),
    RGBColor(20, 20, 20),
    RGBColor(0, 160, 170),
    RGBColor(150, 150, 150),
];

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// The ROC curves of every class with a curve, from true positive rate `min_tpr` up.
fn roc_curves(area: &Area<'_>, isic: &IsicReport, min_tpr: f64, caption: &str) -> DrawResult {
    // The zoomed view stops where the last curve reaches full sensitivity (in tenths).
    let max_fpr = if min_tpr > 0.0 {
        let reach_one = isic
            .classes
            .iter()
            .filter_map(|c| c.roc.as_ref())
            .map(|roc| {
                roc.fpr
                    .iter()
                    .zip(&roc.tpr)
                    .find(|(_, &t)| t >= 1.0)
                    .map_or(1.0, |(&f, _)| f)
            });
        (reach_one.fold(0.0, f64::max) * 10.0)
            .ceil()
            .clamp(1.0, 10.0)
            / 10.0
    } else {
        1.0
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..max_fpr, min_tpr..1f64)?;
    chart
        .configure_mesh()
        .x_desc("false positive rate (1 - specificity)")
        .y_desc("true positive rate (sensitivity)")
        .label_style(("sans-serif", 13))
        .draw()?;
    if min_tpr == 0.0 {
        let chance = ShapeStyle::from(&RGBColor(190, 190, 190)).stroke_width(1);
        chart.draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], chance))?;
    }
    for (i, class) in isic.classes.iter().enumerate() {
        let colour = CLASS_COLOURS[i % CLASS_COLOURS.len()];
        let (Some(roc), Some(value)) = (
            &class.roc,
            if min_tpr > 0.0 {
                class.auc_sens_80
            } else {
                class.auc
            },
        ) else {
            continue;
        };
        let points: Vec<(f64, f64)> = clip_below(roc, min_tpr)
            .into_iter()
            .map(|(f, t)| (f.min(max_fpr), t))
            .collect();
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
            .label(format!("{} {value:.3}", class.code))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()?;
    Ok(())
}

/// The curve from where it reaches `min_tpr`, starting with the interpolated point on
/// that line (the same point AUC80 starts from).
fn clip_below(roc: &Roc, min_tpr: f64) -> Vec<(f64, f64)> {
    let points: Vec<(f64, f64)> = roc
        .fpr
        .iter()
        .copied()
        .zip(roc.tpr.iter().copied())
        .collect();
    if min_tpr <= 0.0 {
        return points;
    }
    let at = points.partition_point(|&(_, t)| t < min_tpr);
    let mut clipped = Vec::with_capacity(points.len() - at + 1);
    if at > 0 && at < points.len() {
        let ((x0, y0), (x1, y1)) = (points[at - 1], points[at]);
        clipped.push((x0 + (x1 - x0) * (min_tpr - y0) / (y1 - y0), min_tpr));
    }
    clipped.extend_from_slice(&points[at..]);
    clipped
}
