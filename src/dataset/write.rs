//! Rendering scenes in batches and writing the dataset files.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use serde::Serialize;
use tracing::info;

use super::attributes::{HeldOut, ObjectAttributes};
use super::batch::BatchRenderer;
use super::caption::{add_words, captions};
use super::correspond::{GRID_STRIDE_PX, correspondences};
use super::generate::{CARDBOARD_TEXTURE, GeneratedScene, GeneratorConfig, Split, generate_scene};
use super::look::sample_look;
use crate::observe::Frame;
use crate::observe::frame::object_instance_id;
use crate::perception::select::square_crop;
use crate::scene::ImageSize;

/// Value of `format` in `manifest.json`.
pub const FORMAT: &str = "pickloop-dataset/1";
/// Visible pixels an object needs in a view to get a crop.
pub const MIN_VISIBLE_PX: usize = 150;
/// Scenes that share one renderer, and so one set of lights and one background.
pub const SCENES_PER_RENDERER: usize = 16;
/// Files and folders a dataset consists of; `--force` removes these before writing.
const OUTPUTS: [&str; 5] = [
    "manifest.json",
    "crops.jsonl",
    "pairs.jsonl",
    "renders",
    "crops",
];

/// Settings of one `pickloop dataset` run.
#[derive(Debug, Clone)]
pub struct DatasetConfig {
    pub out: PathBuf,
    pub scenes: usize,
    pub seed: u64,
    pub size_px: u32,
    pub test_share: f64,
    pub held_out: Vec<HeldOut>,
    /// Replace an earlier dataset in `out` instead of failing.
    pub force: bool,
    /// Directory that texture paths are relative to.
    pub assets_dir: PathBuf,
    /// The command line, recorded in the manifest.
    pub command: String,
}

/// Numbers of records written, as in the manifest.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub train_crops: usize,
    pub test_seen_crops: usize,
    pub test_unseen_crops: usize,
    pub train_pairs: usize,
    pub test_pairs: usize,
}

/// Summary of a finished run.
#[derive(Debug, Clone)]
pub struct DatasetReport {
    pub counts: Counts,
    /// Wall time of the whole run, seconds.
    pub wall_s: f64,
    /// Wall time spent starting renderers, seconds.
    pub renderer_startup_s: f64,
    pub renderers: usize,
}

#[derive(Serialize)]
struct Manifest<'a> {
    format: &'static str,
    seed: u64,
    scenes: usize,
    size_px: u32,
    test_share: f64,
    held_out: Vec<[&'a str; 2]>,
    counts: Counts,
    vocabulary: &'a BTreeSet<String>,
    command: &'a str,
}

#[derive(Serialize)]
struct CropRecord<'a> {
    id: String,
    split: &'static str,
    group: &'a str,
    image: String,
    bbox: [u32; 4],
    object: &'a ObjectAttributes,
    visible_px: usize,
    captions: &'a [String],
}

#[derive(Serialize)]
struct PairRecord {
    id: String,
    split: &'static str,
    a: String,
    b: String,
    /// `[u_a, v_a, u_b, v_b, instance_id]`, with the id written as a whole number.
    points: Vec<(f32, f32, f32, f32, u16)>,
}

/// Open output files and running totals.
struct Sink {
    out: PathBuf,
    crops: BufWriter<File>,
    pairs: BufWriter<File>,
    counts: Counts,
    vocabulary: BTreeSet<String>,
}

/// Renders `config.scenes` scenes and writes the dataset into `config.out`. `on_scene` is
/// called after each scene is written.
pub fn write_dataset(
    config: &DatasetConfig,
    mut on_scene: impl FnMut(),
) -> anyhow::Result<DatasetReport> {
    ensure!(
        config.scenes > 0,
        "--scenes 0 writes nothing; pass at least 1"
    );
    ensure!(
        (0.0..=1.0).contains(&config.test_share),
        "--test-share {} is outside 0..=1; pass a share such as 0.15",
        config.test_share
    );
    ensure!(
        config.size_px >= 32,
        "--size {} px is too small for crops; pass at least 32",
        config.size_px
    );
    let generator = GeneratorConfig {
        seed: config.seed,
        size: ImageSize {
            width: config.size_px,
            height: config.size_px,
        },
        test_share: config.test_share,
        held_out: config.held_out.clone(),
        table_textures: table_textures(&config.assets_dir)?,
    };
    prepare_out_dir(&config.out, config.force)?;

    let mut sink = Sink {
        out: config.out.clone(),
        crops: create(&config.out.join("crops.jsonl"))?,
        pairs: create(&config.out.join("pairs.jsonl"))?,
        counts: Counts::default(),
        vocabulary: BTreeSet::new(),
    };
    let started = Instant::now();
    let mut renderer_startup_s = 0.0;
    let mut renderers = 0;
    for (batch, first) in (0..config.scenes).step_by(SCENES_PER_RENDERER).enumerate() {
        let look = sample_look(config.seed, batch);
        let last = (first + SCENES_PER_RENDERER).min(config.scenes);
        let scenes = (first..last)
            .map(|index| generate_scene(&generator, index, &look))
            .collect::<Result<Vec<_>, _>>()?;
        let mut renderer =
            BatchRenderer::new(&scenes, &look, generator.size, config.assets_dir.clone())
                .context("cannot start the renderer")?;
        renderer_startup_s += renderer.startup_s;
        renderers += 1;
        for (position, generated) in scenes.iter().enumerate() {
            let frames = renderer
                .capture(position, generated)
                .with_context(|| format!("cannot render scene {}", generated.index))?;
            sink.write_scene(generated, &frames, &config.held_out)?;
            on_scene();
        }
    }
    sink.crops.flush().context("cannot write crops.jsonl")?;
    sink.pairs.flush().context("cannot write pairs.jsonl")?;

    let held_out = config
        .held_out
        .iter()
        .map(|combination| [combination.colour, combination.shape.name()])
        .collect();
    let manifest = Manifest {
        format: FORMAT,
        seed: config.seed,
        scenes: config.scenes,
        size_px: config.size_px,
        test_share: config.test_share,
        held_out,
        counts: sink.counts,
        vocabulary: &sink.vocabulary,
        command: &config.command,
    };
    let manifest_path = config.out.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).expect("the manifest serialises");
    std::fs::write(&manifest_path, text + "\n")
        .with_context(|| format!("cannot write {}", manifest_path.display()))?;

    let wall_s = started.elapsed().as_secs_f64();
    info!(
        scenes = config.scenes,
        wall_s = format!("{wall_s:.1}"),
        s_per_scene = format!("{:.3}", wall_s / config.scenes as f64),
        renderers,
        renderer_startup_s = format!("{renderer_startup_s:.1}"),
        "dataset written to {}",
        config.out.display()
    );
    Ok(DatasetReport {
        counts: sink.counts,
        wall_s,
        renderer_startup_s,
        renderers,
    })
}

impl Sink {
    fn write_scene(
        &mut self,
        generated: &GeneratedScene,
        frames: &[Frame; 2],
        held_out: &[HeldOut],
    ) -> anyhow::Result<()> {
        let scene_id = format!("s{:06}", generated.index);
        let object_captions: Vec<Vec<String>> = generated.attributes.iter().map(captions).collect();
        for list in &object_captions {
            add_words(&mut self.vocabulary, list);
        }

        for (view, frame) in frames.iter().enumerate() {
            let group = format!("{scene_id}_v{view}");
            let render = format!("renders/{group}.png");
            save_png(&frame.rgb, &self.out.join(&render))?;
            for (object, attributes) in generated.attributes.iter().enumerate() {
                let Some((visible_px, bbox)) = instance_box(frame, object_instance_id(object))
                else {
                    continue;
                };
                if visible_px < MIN_VISIBLE_PX {
                    continue;
                }
                let split = match generated.split {
                    Split::Train => "train",
                    Split::Test if held_out.iter().any(|h| h.matches(attributes)) => "test_unseen",
                    Split::Test => "test_seen",
                };
                let id = format!("{group}_o{object}");
                let image = format!("crops/{id}.png");
                save_png(&square_crop(&frame.rgb, bbox), &self.out.join(&image))?;
                let record = CropRecord {
                    id,
                    split,
                    group: &group,
                    image,
                    bbox,
                    object: attributes,
                    visible_px,
                    captions: &object_captions[object],
                };
                write_line(&mut self.crops, &record)?;
                match split {
                    "train" => self.counts.train_crops += 1,
                    "test_seen" => self.counts.test_seen_crops += 1,
                    _ => self.counts.test_unseen_crops += 1,
                }
            }
        }

        let points = correspondences(&frames[0], &frames[1], GRID_STRIDE_PX)
            .into_iter()
            .map(|p| (p.a[0], p.a[1], p.b[0], p.b[1], p.instance_id))
            .collect();
        let record = PairRecord {
            id: scene_id.clone(),
            split: generated.split.name(),
            a: format!("renders/{scene_id}_v0.png"),
            b: format!("renders/{scene_id}_v1.png"),
            points,
        };
        write_line(&mut self.pairs, &record)?;
        match generated.split {
            Split::Train => self.counts.train_pairs += 1,
            Split::Test => self.counts.test_pairs += 1,
        }
        Ok(())
    }
}

/// Returns the visible pixel count and inclusive bounding box `[u_min, v_min, u_max, v_max]` of `id` in
/// the frame's instance image, or `None` if no pixel shows it.
pub fn instance_box(frame: &Frame, id: u16) -> Option<(usize, [u32; 4])> {
    let ids = &frame.instances;
    let mut count = 0;
    let mut bbox = [u32::MAX, u32::MAX, 0, 0];
    for v in 0..ids.height {
        for u in 0..ids.width {
            if ids.get(u, v) == id {
                count += 1;
                bbox = [
                    bbox[0].min(u),
                    bbox[1].min(v),
                    bbox[2].max(u),
                    bbox[3].max(v),
                ];
            }
        }
    }
    (count > 0).then_some((count, bbox))
}

/// PNG textures under `assets/textures`, sorted, as paths relative to `assets`.
fn table_textures(assets: &Path) -> anyhow::Result<Vec<String>> {
    let dir = assets.join("textures");
    ensure!(
        assets.join(CARDBOARD_TEXTURE).is_file(),
        "missing box texture {}; pass --assets with the repository's assets/ directory",
        assets.join(CARDBOARD_TEXTURE).display()
    );
    let mut names = Vec::new();
    for entry in
        std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?
    {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".png") {
            names.push(format!("textures/{name}"));
        }
    }
    names.sort();
    Ok(names)
}

/// Creates `out` with `renders/` and `crops/`. A non-empty `out` is an error unless `force`,
/// which removes the files of an earlier dataset first.
fn prepare_out_dir(out: &Path, force: bool) -> anyhow::Result<()> {
    let non_empty = out.is_dir()
        && std::fs::read_dir(out)
            .with_context(|| format!("cannot list {}", out.display()))?
            .next()
            .is_some();
    if non_empty {
        if !force {
            bail!(
                "output directory {} is not empty; pass an empty or new directory, or --force \
                 to replace the dataset files in it",
                out.display()
            );
        }
        for name in OUTPUTS {
            let path = out.join(name);
            if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else if path.exists() {
                std::fs::remove_file(&path)
            } else {
                Ok(())
            }
            .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    } else if out.exists() && !out.is_dir() {
        bail!("output path {} is a file; pass a directory", out.display());
    }
    for dir in ["renders", "crops"] {
        let path = out.join(dir);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
    }
    Ok(())
}

fn create(path: &Path) -> anyhow::Result<BufWriter<File>> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(BufWriter::new(file))
}

fn write_line(writer: &mut impl Write, record: &impl Serialize) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *writer, record).context("cannot write a JSON line")?;
    writer
        .write_all(b"\n")
        .context("cannot write a JSON line")?;
    Ok(())
}

fn save_png(image: &image::RgbImage, path: &Path) -> anyhow::Result<()> {
    image
        .save(path)
        .with_context(|| format!("cannot write {}", path.display()))
}
