//! The suction gripper: attaches an object to the tool link with a fixed joint, but only when
//! the cup touches the object squarely.

use bevy::math::Vec3;
use bevy_rapier3d::rapier::prelude::{
    ColliderHandle, FixedJointBuilder, ImpulseJointHandle, PhysicsWorld, Pose, RigidBodyHandle,
};
use serde::{Deserialize, Serialize};

/// Settings of the suction gripper.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SuctionSettings {
    /// Largest angle between the cup axis and the contact normal at which the cup seals, degrees.
    pub max_seal_angle_deg: f32,
    /// A contact point counts as touching when its separation is at most this, metres. Rapier
    /// also reports points slightly apart (within its prediction distance), and those never
    /// attach.
    pub max_contact_gap_m: f32,
    /// Largest pull the seal transmits before the object comes off, newtons. Pushing the
    /// object along the cup axis (compression) never breaks the seal.
    pub max_hold_force_n: f32,
    /// Time constant of the low-pass filter on the pull, seconds. It stands for the cup's
    /// compliant bellows, which spread a one-step jerk of the position servos over time.
    pub compliance_time_s: f32,
}

impl Default for SuctionSettings {
    fn default() -> Self {
        Self {
            max_seal_angle_deg: 20.0,
            max_contact_gap_m: 1e-3,
            // An estimate: a 36 mm cup at 60 kPa of vacuum holds π · 0.018² m² · 60 kPa ≈ 61 N.
            max_hold_force_n: 60.0,
            // An estimate for a bellows cup; it spans about 8 steps at 240 Hz.
            compliance_time_s: 0.03,
        }
    }
}

/// Kind of a suction event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuctionEventKind {
    Attached,
    /// Suction was switched off.
    Released,
    /// The seal failed because the object pulled harder than `max_hold_force_n`.
    Lost,
}

/// One attach or release, with the object index in the layout and the simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SuctionEvent {
    pub kind: SuctionEventKind,
    pub object: usize,
    pub time_s: f32,
}

#[derive(Debug, Clone, Copy)]
struct Grip {
    object: usize,
    joint: ImpulseJointHandle,
    /// Object velocity after the previous step, m/s, for its acceleration.
    previous_velocity: Option<Vec3>,
    /// Pull on the seal during the last step, newtons.
    pull_n: f32,
}

/// State of the suction gripper between physics steps.
#[derive(Debug, Clone, Default)]
pub(crate) struct Suction {
    pub settings: SuctionSettings,
    pub enabled: bool,
    grip: Option<Grip>,
    /// Set when the seal failed; no new attach happens until suction is switched off and on.
    seal_lost: bool,
    pub events: Vec<SuctionEvent>,
}

impl Suction {
    pub fn new(settings: SuctionSettings) -> Self {
        Self {
            settings,
            ..Default::default()
        }
    }

    /// Pull on the seal during the last step, newtons, while an object is attached.
    pub fn seal_pull_n(&self) -> Option<f32> {
        self.grip.map(|grip| grip.pull_n)
    }

    pub fn attached_object(&self) -> Option<usize> {
        self.grip.map(|grip| grip.object)
    }

    /// Releases the object if suction was switched off or the seal force exceeded its limit,
    /// or attaches one the cup touches if suction is on and nothing is held. Call after each
    /// physics step, when contacts and joint impulses are fresh.
    pub fn update(
        &mut self,
        world: &mut PhysicsWorld,
        cup: ColliderHandle,
        cup_axis: Vec3,
        tool_body: RigidBodyHandle,
        objects: &[RigidBodyHandle],
        time_s: f32,
    ) {
        if !self.enabled {
            self.seal_lost = false;
            if let Some(grip) = self.grip.take() {
                world.impulse_joints.remove(grip.joint, true);
                self.events.push(SuctionEvent { kind: SuctionEventKind::Released, object: grip.object, time_s });
                tracing::debug!(object = grip.object, time_s, "suction released");
            }
            return;
        }
        if let Some(grip) = self.grip.as_mut() {
            let body = &world.bodies[objects[grip.object]];
            let velocity = body.linvel();
            let Some(previous) = grip.previous_velocity.replace(velocity) else { return };
            // The cup force that gives the object its acceleration against gravity. Other
            // contacts (a table under a pressed object) are left out, which can only
            // overstate the pull by the object's weight.
            let acceleration = (velocity - previous) / world.integration_parameters.dt;
            let force = body.mass() * (acceleration - world.gravity);
            // Only the part of the force that does not press the object into the cup counts:
            // compression along the cup axis holds the seal shut.
            let pressing = force.dot(cup_axis).max(0.0);
            let pull_n = (force - cup_axis * pressing).length();
            let dt = world.integration_parameters.dt;
            let blend = (dt / self.settings.compliance_time_s.max(dt)).min(1.0);
            grip.pull_n += blend * (pull_n - grip.pull_n);
            let grip = *grip;
            if grip.pull_n > self.settings.max_hold_force_n {
                world.impulse_joints.remove(grip.joint, true);
                self.grip = None;
                self.seal_lost = true;
                self.events.push(SuctionEvent { kind: SuctionEventKind::Lost, object: grip.object, time_s });
                tracing::debug!(object = grip.object, time_s, pull_n = grip.pull_n, "suction seal lost");
            }
            return;
        }
        if self.seal_lost {
            return;
        }
        let max_angle_rad = self.settings.max_seal_angle_deg.to_radians();
        let Some(object) = self.touching_object(world, cup, cup_axis, objects, max_angle_rad) else { return };

        // Freeze the current relative pose: frame 1 is the object's pose in the tool link.
        let tool_pose = *world.bodies[tool_body].position();
        let object_pose = *world.bodies[objects[object]].position();
        let joint = FixedJointBuilder::new()
            .local_frame1(tool_pose.inverse() * object_pose)
            .local_frame2(Pose::IDENTITY)
            .contacts_enabled(false);
        // TODO: the seal model limits the pull force only; the torque of an object held far
        // off its centre of mass never breaks it.
        let handle = world.impulse_joints.insert(tool_body, objects[object], joint, true);
        self.grip = Some(Grip {
            object,
            joint: handle,
            previous_velocity: None,
            pull_n: 0.0,
        });
        self.events.push(SuctionEvent { kind: SuctionEventKind::Attached, object, time_s });
        tracing::debug!(object, time_s, "suction attached");
    }

    /// Finds the first object (by layout index) that touches the cup with a contact normal within
    /// `max_angle_rad` of the cup axis (the tool +Z axis, in the world).
    pub fn touching_object(
        &self,
        world: &PhysicsWorld,
        cup: ColliderHandle,
        cup_axis: Vec3,
        objects: &[RigidBodyHandle],
        max_angle_rad: f32,
    ) -> Option<usize> {
        let min_cos = max_angle_rad.cos();
        let mut first: Option<usize> = None;
        for pair in world.narrow_phase.contact_pairs_with(cup) {
            let (other, cup_is_first) =
                if pair.collider1 == cup { (pair.collider2, true) } else { (pair.collider1, false) };
            let Some(body) = world.colliders[other].parent() else { continue };
            let Some(object) = objects.iter().position(|&handle| handle == body) else { continue };
            let aligned_contact = pair.manifolds.iter().any(|manifold| {
                // The manifold normal points from collider 1 towards collider 2.
                let towards_object = if cup_is_first { manifold.data.normal } else { -manifold.data.normal };
                let touching = manifold.points.iter().any(|p| p.dist <= self.settings.max_contact_gap_m);
                touching && towards_object.dot(cup_axis) >= min_cos
            });
            if aligned_contact {
                first = Some(first.map_or(object, |b| b.min(object)));
            }
        }
        first
    }
}
