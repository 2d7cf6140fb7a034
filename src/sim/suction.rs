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
    /// also reports points slightly apart (within its prediction distance); those never attach.
    pub max_contact_gap_m: f32,
}

impl Default for SuctionSettings {
    fn default() -> Self {
        Self {
            max_seal_angle_deg: 20.0,
            max_contact_gap_m: 1e-3,
        }
    }
}

/// Kind of a suction event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuctionEventKind {
    Attached,
    Released,
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
}

/// State of the suction gripper between physics steps.
#[derive(Debug, Clone, Default)]
pub(crate) struct Suction {
    pub settings: SuctionSettings,
    pub enabled: bool,
    grip: Option<Grip>,
    pub events: Vec<SuctionEvent>,
}

impl Suction {
    pub fn new(settings: SuctionSettings) -> Self {
        Self {
            settings,
            ..Default::default()
        }
    }

    pub fn attached_object(&self) -> Option<usize> {
        self.grip.map(|grip| grip.object)
    }

    /// Releases the object if suction was switched off, or attaches one the cup touches if it
    /// is on and nothing is held. Call after each physics step, when contacts are fresh.
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
            if let Some(grip) = self.grip.take() {
                world.impulse_joints.remove(grip.joint, true);
                self.events.push(SuctionEvent { kind: SuctionEventKind::Released, object: grip.object, time_s });
                tracing::debug!(object = grip.object, time_s, "suction released");
            }
            return;
        }
        if self.grip.is_some() {
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
        // TODO: the seal carries any mass. A payload or vacuum force limit would let heavy
        // objects slip.
        let handle = world.impulse_joints.insert(tool_body, objects[object], joint, true);
        self.grip = Some(Grip { object, joint: handle });
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
