//! `lesionscan info`: the model card, the model's tensors, and where it would run.

use clap::Args;
use lesionscan::{ModelInfo, TensorInfo, DISCLAIMER};

use crate::common::{model_info_json, CmdResult, Failure, ModelArgs};
use crate::model_source;

#[derive(Args, Debug)]
pub(crate) struct InfoArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn tensor_line(t: &TensorInfo) -> String {
    let quant = t.quantization.map_or_else(
        || "not quantised".to_string(),
        |q| format!("scale {} zero point {}", q.scale, q.zero_point),
    );
    format!(
        "{:<32} {:<8} {:?}  {quant}",
        t.name,
        t.dtype.name(),
        t.shape
    )
}

pub(crate) fn run(args: &InfoArgs) -> CmdResult {
    let classifier = model_source::load(&args.model, args.model.options())?;
    let info: ModelInfo = classifier.model_info();
    if args.json {
        println!("{}", model_info_json(&info)?);
        return Ok(());
    }
    let card = &info.card;
    println!("model      {} {}", card.id, card.version);
    if let Some(sha) = &card.sha256 {
        println!("sha256     {sha}");
    }
    println!(
        "runs on    {} ({}), {}",
        info.accelerator, info.engine, info.precision
    );
    if let Some(cache) = &info.weight_cache {
        println!("cache      {}", cache.display());
    }
    let i = &card.input;
    println!(
        "input      {}x{} {} {}, (pixel - {:?}) / {:?}, {} resize, crop {}",
        i.width, i.height, i.color, i.layout, i.mean, i.std, i.resize, i.crop
    );
    println!("output     {:?}", card.output.kind);
    if let Some(meta) = &card.metadata_input {
        let mut fields = Vec::new();
        if meta.sex.is_some() {
            fields.push("sex");
        }
        if meta.site.is_some() {
            fields.push("body site");
        }
        if meta.age.is_some() {
            fields.push("age");
        }
        println!("metadata   {} values: {}", meta.length, fields.join(", "));
    }
    println!("classes");
    for (index, class) in card.classes.iter().enumerate() {
        let flag = if class.malignant {
            "malignant"
        } else {
            "benign"
        };
        println!("  {index} {:<6} {:<10} {}", class.code, flag, class.name);
    }
    println!("tensors");
    for t in &info.inputs {
        println!("  in  {}", tensor_line(t));
    }
    for t in &info.outputs {
        println!("  out {}", tensor_line(t));
    }
    if !card.provenance.is_null() {
        let pretty = serde_json::to_string_pretty(&card.provenance)
            .map_err(|e| Failure::other(e.to_string()))?;
        println!("provenance");
        for line in pretty.lines() {
            println!("  {line}");
        }
    }
    println!("{DISCLAIMER}");
    Ok(())
}
