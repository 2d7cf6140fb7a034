//! `pickloop bench`: throughput of the renderer, the physics world and the vision encoders on
//! this machine.

mod encoders;
mod sweep;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Subcommand};

use pickloop::episode::visuals::episode_bodies;
use pickloop::observe::render::{BodyPose, RenderSettings, Renderer};
use pickloop::observe::{camera, CameraModel, Intrinsics};
use pickloop::scene::{ImageSize, Layout};
use pickloop::sim::SimWorld;

use super::check::load_checked;

/// Frames rendered before timing starts, so that pipeline and cache warm-up do not count.
const WARM_UP_FRAMES: u32 = 5;
/// Amplitude of the joint sweep that keeps the arm moving during the physics benchmark, rad.
const SWEEP_AMPLITUDE_RAD: f32 = 0.4;
/// Frequency of that sweep, Hz.
const SWEEP_FREQUENCY_HZ: f32 = 0.5;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Frames per second of headless capture (RGB, depth and instance ids) from the view camera.
    Render(RenderBenchArgs),
    /// Physics steps per second of a scene with the arm in motion.
    Physics(PhysicsBenchArgs),
    /// Per-image latency of SigLIP and DINOv2 with random weights, against f32 matmul GFLOP/s.
    Encoders(encoders::EncoderBenchArgs),
    /// Episodes per minute of a sweep file at each worker count (rows go to a scratch directory).
    Sweep(sweep::SweepBenchArgs),
}

#[derive(Debug, Args)]
pub struct RenderBenchArgs {
    /// Scene file whose view camera, bodies and lights are rendered.
    #[arg(default_value = "scenes/tabletop_mugs.ron")]
    pub scene: PathBuf,
    /// Frames to time.
    #[arg(long, default_value_t = 200)]
    pub frames: u32,
    /// Frame size `WIDTHxHEIGHT` in pixels.
    #[arg(long, default_value = "224x224", value_parser = super::run::parse_resolution)]
    pub resolution: (u32, u32),
}

#[derive(Debug, Args)]
pub struct PhysicsBenchArgs {
    /// Scene file whose supports, objects and arm are simulated.
    #[arg(default_value = "scenes/tabletop_mugs.ron")]
    pub scene: PathBuf,
    /// Physics steps to time.
    #[arg(long, default_value_t = 9600)]
    pub steps: u64,
}

pub fn bench(command: &BenchCommand, assets: &Path) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Render(args) => bench_render(args, assets),
        BenchCommand::Physics(args) => bench_physics(args, assets),
        BenchCommand::Encoders(args) => encoders::bench_encoders(args),
        BenchCommand::Sweep(args) => sweep::bench_sweep(args, assets),
    }
}

fn bench_render(args: &RenderBenchArgs, assets: &Path) -> anyhow::Result<ExitCode> {
    let (loaded, arm) = load_checked(&args.scene, assets)?;
    let scene = &loaded.scene;
    let size = ImageSize {
        width: args.resolution.0,
        height: args.resolution.1,
    };
    let layout = Layout::sample(scene, scene.seed);
    let sim = SimWorld::new(scene, &layout, &arm, scene.rates.physics_hz)?;
    let poses: Vec<BodyPose> = sim
        .support_poses()
        .into_iter()
        .chain(sim.object_poses())
        .chain(sim.link_poses())
        .map(|(position, rotation)| BodyPose { position, rotation })
        .collect();
    let bodies = episode_bodies(scene, &layout, &arm);
    let settings = RenderSettings {
        size,
        background: scene.background,
        lights: scene.lights.clone(),
        assets_dir: assets.to_path_buf(),
    };
    let mut renderer = Renderer::new(settings, &bodies)?;
    let view = scene
        .cameras
        .iter()
        .find(|c| c.id == scene.view)
        .expect("validation checked that the view camera exists");
    let intrinsics = Intrinsics::from_vertical_fov(size, view.fov_y_deg.to_radians());

    let mut capture = |frame: u32| -> anyhow::Result<()> {
        // Advance the trajectory clock so moving cameras move, as they do in episodes.
        let time_s = frame as f32 / scene.rates.perception_hz;
        let model = CameraModel {
            intrinsics,
            pose: camera::camera_pose(view, time_s, sim.tool_pose(), scene.seed),
        };
        renderer.capture(&poses, &[(view.id.clone(), model)], u64::from(frame), time_s)?;
        Ok(())
    };
    for frame in 0..WARM_UP_FRAMES {
        capture(frame)?;
    }
    let started = Instant::now();
    for frame in 0..args.frames {
        capture(WARM_UP_FRAMES + frame)?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "render: {} frames of {}x{} ({} bodies, RGB + depth + ids) in {elapsed:.2} s: {:.1} frames/s, {:.1} ms/frame",
        args.frames,
        size.width,
        size.height,
        bodies.len(),
        f64::from(args.frames) / elapsed,
        1000.0 * elapsed / f64::from(args.frames),
    );
    Ok(ExitCode::SUCCESS)
}

fn bench_physics(args: &PhysicsBenchArgs, assets: &Path) -> anyhow::Result<ExitCode> {
    let (loaded, arm) = load_checked(&args.scene, assets)?;
    let scene = &loaded.scene;
    let layout = Layout::sample(scene, scene.seed);
    let mut sim = SimWorld::new(scene, &layout, &arm, scene.rates.physics_hz)?;
    let start_joints = sim.joint_positions();
    let control_every = ((scene.rates.physics_hz / scene.rates.control_hz).round() as u64).max(1);

    let started = Instant::now();
    for step in 0..args.steps {
        if step.is_multiple_of(control_every) {
            let phase = std::f32::consts::TAU * SWEEP_FREQUENCY_HZ * sim.time_s();
            let targets: Vec<f32> = start_joints
                .iter()
                .map(|q| q + SWEEP_AMPLITUDE_RAD * phase.sin())
                .collect();
            sim.set_joint_targets(&targets);
        }
        sim.step();
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "physics: {} steps at {} Hz (objects: {}, supports: {}, {}-joint arm sweeping) in {elapsed:.2} s: {:.0} steps/s, {:.1}x real time",
        args.steps,
        scene.rates.physics_hz,
        layout.objects.len(),
        scene.supports.len(),
        arm.dof(),
        args.steps as f64 / elapsed,
        sim.time_s() as f64 / elapsed,
    );
    Ok(ExitCode::SUCCESS)
}
