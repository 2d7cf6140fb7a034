//! [`SimWorld`]: the Rapier world of one episode, stepped directly at the physics rate.

use bevy::math::{Quat, Vec3};
use bevy_rapier3d::rapier::prelude::{
    ColliderBuilder, ColliderHandle, PhysicsWorld, Pose, RigidBodyBuilder, RigidBodyHandle,
};

use super::SimError;
use super::arm_body::{ArmBody, DriveGains};
use super::shapes::shape_parts;
use super::suction::{Suction, SuctionEvent, SuctionSettings};
use crate::act::arm::ArmModel;
use crate::act::kinematics::base_pose;
use crate::scene::{Layout, Scene};

/// Standard gravity along world -Z, m/s².
pub const GRAVITY_M_S2: f32 = 9.81;
/// Friction coefficient of supports (wood or laminate).
pub const SUPPORT_FRICTION: f32 = 0.7;
/// Friction coefficient of objects.
pub const OBJECT_FRICTION: f32 = 0.7;

/// Tunable parts of the world that scene files do not set.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SimSettings {
    pub drive: DriveGains,
    pub suction: SuctionSettings,
}

#[derive(Debug, Clone)]
struct ObjectBody {
    body: RigidBodyHandle,
    start_position: Vec3,
}

/// The physics of one episode: supports, objects and the arm, stepped with a fixed time step.
///
/// Stepping is single-threaded (Rapier's `parallel` feature is off) and Rapier's hash maps use
/// a fixed seed, so equal inputs give bit-identical states with the same build on the same
/// machine. Across platforms that would need Rapier's `enhanced-determinism` feature, which is
/// off.
pub struct SimWorld {
    world: PhysicsWorld,
    arm: ArmBody,
    objects: Vec<ObjectBody>,
    supports: Vec<RigidBodyHandle>,
    support_colliders: Vec<ColliderHandle>,
    suction: Suction,
    step_count: u64,
    last_arm_support_force_n: f32,
}

impl SimWorld {
    /// Builds the world with default settings; `physics_hz` sets the fixed time step.
    pub fn new(scene: &Scene, layout: &Layout, arm: &ArmModel, physics_hz: f32) -> Result<Self, SimError> {
        Self::with_settings(scene, layout, arm, physics_hz, SimSettings::default())
    }

    pub fn with_settings(
        scene: &Scene,
        layout: &Layout,
        arm: &ArmModel,
        physics_hz: f32,
        settings: SimSettings,
    ) -> Result<Self, SimError> {
        if !(physics_hz.is_finite() && physics_hz > 0.0) {
            return Err(SimError::InvalidRate { physics_hz });
        }
        let mut world = PhysicsWorld::new();
        world.gravity = Vec3::new(0.0, 0.0, -GRAVITY_M_S2);
        world.integration_parameters.dt = 1.0 / physics_hz;
        // Rapier 0.35 reuses a contact pair's points until the pair has moved 0.05 m (with
        // length_unit = 1). A cup approaching a 7 cm ball moves less than that while it closes
        // the gap, so recycled points went stale and the cup passed into objects without
        // contact. Every pair is therefore recomputed each step.
        world.integration_parameters.contact_recycling = false;

        let mut supports = Vec::with_capacity(scene.supports.len());
        let mut support_colliders = Vec::with_capacity(scene.supports.len());
        for support in &scene.supports {
            let [x, y, z] = support.size;
            let body = RigidBodyBuilder::fixed().pose(Pose::from_parts(
                Vec3::from(support.position),
                Quat::from_rotation_z(support.yaw_deg.to_radians()),
            ));
            let (body, collider) = world.insert(
                body,
                ColliderBuilder::cuboid(0.5 * x, 0.5 * y, 0.5 * z).friction(SUPPORT_FRICTION),
            );
            supports.push(body);
            support_colliders.push(collider);
        }

        let mut objects = Vec::with_capacity(layout.objects.len());
        for object in &layout.objects {
            let parts = shape_parts(&object.shape);
            let volume: f32 = parts.iter().map(|p| p.primitive.volume()).sum();
            let density = object.mass_kg / volume;
            let body = world.insert_body(
                RigidBodyBuilder::dynamic().pose(Pose::from_parts(object.position, object.rotation())),
            );
            for part in parts {
                world.insert_collider(part.collider().density(density).friction(OBJECT_FRICTION), Some(body));
            }
            objects.push(ObjectBody { body, start_position: object.position });
        }

        let base = base_pose(&scene.robot);
        let start = match &scene.robot.start_joints {
            Some(q) if q.len() == arm.dof() => {
                let mut q = q.clone();
                arm.clamp_joints(&mut q);
                q
            }
            Some(q) => return Err(SimError::StartJoints { given: q.len(), expected: arm.dof() }),
            None => arm.home_joints(),
        };
        let arm = ArmBody::spawn(&mut world, arm, base, &start, settings.drive)?;

        Ok(Self {
            world,
            arm,
            objects,
            supports,
            support_colliders,
            suction: Suction::new(settings.suction),
            step_count: 0,
            last_arm_support_force_n: 0.0,
        })
    }

    /// Advances the world by one fixed time step, then updates the suction gripper and the
    /// contact force between arm and supports.
    pub fn step(&mut self) {
        self.world.step();
        self.step_count += 1;
        let time_s = self.time_s();
        let cup_axis = self.arm.tool_pose(&self.world).rotation * Vec3::Z;
        let object_bodies: Vec<RigidBodyHandle> = self.objects.iter().map(|o| o.body).collect();
        self.suction.update(
            &mut self.world,
            self.arm.cup,
            cup_axis,
            self.arm.tool_body(),
            &object_bodies,
            time_s,
        );
        self.last_arm_support_force_n = self.measure_arm_support_force_n();
    }

    pub fn step_count(&self) -> u64 {
        self.step_count
    }

    /// Fixed time step, seconds.
    pub fn dt_s(&self) -> f32 {
        self.world.integration_parameters.dt
    }

    /// Simulated time since the start, seconds.
    pub fn time_s(&self) -> f32 {
        (self.step_count as f64 * self.dt_s() as f64) as f32
    }

    pub fn object_count(&self) -> usize {
        self.objects.len()
    }

    /// World pose of object `index` (layout order): centre of its bounding box and rotation.
    ///
    /// # Panics
    /// If `index` is out of range.
    pub fn object_pose(&self, index: usize) -> (Vec3, Quat) {
        let pose = self.world.bodies[self.objects[index].body].position();
        (pose.translation, pose.rotation)
    }

    pub fn object_poses(&self) -> Vec<(Vec3, Quat)> {
        (0..self.objects.len()).map(|i| self.object_pose(i)).collect()
    }

    /// World poses of the supports, in scene order.
    pub fn support_poses(&self) -> Vec<(Vec3, Quat)> {
        self.supports
            .iter()
            .map(|&handle| {
                let pose = self.world.bodies[handle].position();
                (pose.translation, pose.rotation)
            })
            .collect()
    }

    /// World pose of every URDF link, in chain order starting with the base.
    pub fn link_poses(&self) -> Vec<(Vec3, Quat)> {
        self.arm.link_poses(&self.world)
    }

    /// World pose of the tool frame (+Z out of the suction cup).
    pub fn tool_pose(&self) -> (Vec3, Quat) {
        let pose = self.arm.tool_pose(&self.world);
        (pose.translation, pose.rotation)
    }

    /// Measured joint angles, radians, in URDF order.
    pub fn joint_positions(&self) -> Vec<f32> {
        self.arm.joint_positions(&self.world)
    }

    /// Sets the joint motors' position targets, radians, in URDF order.
    ///
    /// # Panics
    /// If `targets` does not have one entry per joint.
    pub fn set_joint_targets(&mut self, targets: &[f32]) {
        assert_eq!(targets.len(), self.arm.joints.len(), "one joint target per arm joint");
        self.arm.set_targets(&mut self.world, targets);
    }

    /// Switches suction on or off; takes effect at the end of the next step.
    pub fn set_suction(&mut self, on: bool) {
        self.suction.enabled = on;
    }

    pub fn suction_on(&self) -> bool {
        self.suction.enabled
    }

    /// Index (layout order) of the object held by the suction cup.
    pub fn attached_object(&self) -> Option<usize> {
        self.suction.attached_object()
    }

    /// Finds the first object (layout order) in touching contact with the suction cup, at any
    /// angle. Suction need not be on.
    pub fn cup_contact_object(&self) -> Option<usize> {
        let object_bodies: Vec<RigidBodyHandle> = self.objects.iter().map(|o| o.body).collect();
        let cup_axis = self.arm.tool_pose(&self.world).rotation * Vec3::Z;
        self.suction
            .touching_object(&self.world, self.arm.cup, cup_axis, &object_bodies, std::f32::consts::PI)
    }

    /// Pull on the suction seal during the last step, newtons: the force that accelerates
    /// the held object against gravity, less any part pressing it into the cup. `None` when
    /// nothing is attached.
    pub fn suction_pull_n(&self) -> Option<f32> {
        self.suction.seal_pull_n()
    }

    /// Returns every attach, release and lost seal so far.
    pub fn suction_events(&self) -> &[SuctionEvent] {
        &self.suction.events
    }

    /// Largest normal force between any arm link and any support during the last step,
    /// newtons, derived from the solver's contact impulses.
    pub fn arm_support_contact_force_n(&self) -> f32 {
        self.last_arm_support_force_n
    }

    /// Indices of objects whose centre is at least `min_height_m` above its start height.
    pub fn lifted_objects(&self, min_height_m: f32) -> Vec<usize> {
        self.objects
            .iter()
            .enumerate()
            .filter(|(i, object)| self.object_pose(*i).0.z - object.start_position.z >= min_height_m)
            .map(|(i, _)| i)
            .collect()
    }

    /// Start position of object `index`, as placed by the layout.
    pub fn object_start_position(&self, index: usize) -> Vec3 {
        self.objects[index].start_position
    }

    fn measure_arm_support_force_n(&self) -> f32 {
        let impulse_to_force = 1.0 / (self.dt_s() * contact_impulse_steps(&self.world));
        let mut max_force = 0.0_f32;
        for &collider in &self.arm.colliders {
            for pair in self.world.narrow_phase.contact_pairs_with(collider) {
                let other = if pair.collider1 == collider { pair.collider2 } else { pair.collider1 };
                if self.support_colliders.contains(&other) {
                    max_force = max_force.max(pair.total_impulse_magnitude() * impulse_to_force);
                }
            }
        }
        max_force
    }
}

/// Number of time steps' worth of impulse that Rapier stores in a contact pair per step.
///
/// Measured with Rapier 0.35: a box resting on a support reports an impulse of
/// `weight · dt · (n + s) / n`, with `n` solver iterations (substeps) and `s` stabilization
/// passes, because each substep and each stabilization pass adds its `dt / n` share. The
/// `contact_force_matches_weight` test pins this.
fn contact_impulse_steps(world: &PhysicsWorld) -> f32 {
    let params = &world.integration_parameters;
    let substeps = params.num_solver_iterations.max(1) as f32;
    (substeps + params.num_internal_stabilization_iterations as f32) / substeps
}

/// Normal force between object `object` and support `support`, newtons.
#[cfg(test)]
pub(crate) fn object_support_force_n(sim: &SimWorld, object: usize, support: usize) -> f32 {
    let object_body = sim.objects[object].body;
    let impulse_to_force = 1.0 / (sim.dt_s() * contact_impulse_steps(&sim.world));
    sim.world
        .narrow_phase
        .contact_pairs_with(sim.support_colliders[support])
        .filter(|pair| {
            let other = if pair.collider1 == sim.support_colliders[support] { pair.collider2 } else { pair.collider1 };
            sim.world.colliders[other].parent() == Some(object_body)
        })
        .map(|pair| pair.total_impulse_magnitude() * impulse_to_force)
        .sum()
}
