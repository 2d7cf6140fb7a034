//! The arm as a Rapier multibody (reduced coordinates) driven by position motors.

use bevy::math::{Isometry3d, Quat, Vec3};
use bevy_rapier3d::rapier::prelude::{
    ColliderHandle, GenericJointBuilder, JointAxesMask, JointAxis, MassProperties, MotorModel,
    MultibodyJointHandle, PhysicsWorld, Pose, RigidBodyBuilder, RigidBodyHandle,
};

use super::SimError;
use super::shapes::link_part;
use crate::act::arm::ArmModel;
use crate::act::kinematics::forward_kinematics;

/// Friction coefficient of the arm's links, including the suction cup (rubber on cardboard
/// or plastic is about 0.8 to 1.0).
pub const ARM_FRICTION: f32 = 0.9;

/// Gains of the joint position servos. Rapier's acceleration-based motor model scales them by
/// each joint's effective inertia, so one pair works for every joint: the servo behaves like
/// `q̈ = stiffness · (target − q) − damping · q̇`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriveGains {
    /// 1/s²; the servo's natural frequency is `sqrt(stiffness)` rad/s.
    pub stiffness: f32,
    /// 1/s; `2 · sqrt(stiffness)` is critical damping.
    pub damping: f32,
}

impl Default for DriveGains {
    /// Returns a stiff, critically damped servo with a natural frequency of 150 rad/s (about
    /// 24 Hz).
    fn default() -> Self {
        let natural_frequency_rad_s: f32 = 150.0;
        Self {
            stiffness: natural_frequency_rad_s.powi(2),
            damping: 2.0 * natural_frequency_rad_s,
        }
    }
}

/// Handles of the arm inside a [`PhysicsWorld`].
#[derive(Debug, Clone)]
pub(crate) struct ArmBody {
    /// One body per URDF link, `links[0]` being the fixed base.
    pub links: Vec<RigidBodyHandle>,
    /// One multibody joint per actuated joint, in URDF order.
    pub joints: Vec<MultibodyJointHandle>,
    /// Every collider of the arm.
    pub colliders: Vec<ColliderHandle>,
    /// The suction cup collider on the last link.
    pub cup: ColliderHandle,
    /// Tool frame in the last link's frame.
    pub tool_offset: Pose,
    pub gains: DriveGains,
}

impl ArmBody {
    /// Builds the links at the configuration `start` (radians) with motors holding it.
    pub fn spawn(
        world: &mut PhysicsWorld,
        arm: &ArmModel,
        base: Isometry3d,
        start: &[f32],
        gains: DriveGains,
    ) -> Result<Self, SimError> {
        let cup_index = arm.suction_cup_collision.ok_or_else(|| SimError::NoSuctionCup {
            urdf: arm.source.display().to_string(),
        })?;
        let frames = forward_kinematics(arm, base, start);

        let mut links = Vec::with_capacity(arm.links.len());
        let mut colliders = Vec::new();
        let mut cup = None;
        let last = arm.links.len() - 1;
        for (i, (link, frame)) in arm.links.iter().zip(&frames.links).enumerate() {
            let builder = if i == 0 { RigidBodyBuilder::fixed() } else { RigidBodyBuilder::dynamic() };
            let inertial = &link.inertial;
            let body = builder
                .pose(to_pose(*frame))
                .additional_mass_properties(MassProperties::with_inertia_matrix(
                    inertial.center_of_mass,
                    inertial.mass_kg,
                    inertial.inertia,
                ))
                // A resting arm must still react to new motor targets at once.
                .can_sleep(false);
            let handle = world.bodies.insert(body);
            for (c, geometry) in link.collisions.iter().enumerate() {
                let collider = link_part(geometry).collider().density(0.0).friction(ARM_FRICTION);
                let collider = world.colliders.insert_with_parent(collider, handle, &mut world.bodies);
                if i == last && c == cup_index {
                    cup = Some(collider);
                }
                colliders.push(collider);
            }
            links.push(handle);
        }

        let mut joints = Vec::with_capacity(arm.dof());
        for (i, (joint, &target)) in arm.joints.iter().zip(start).enumerate() {
            // Rapier's revolute joint turns about the joint frame's local X axis.
            let to_axis = Quat::from_rotation_arc(Vec3::X, joint.axis);
            let frame1 = to_pose(joint.origin) * Pose::from_rotation(to_axis);
            let data = GenericJointBuilder::new(JointAxesMask::LOCKED_REVOLUTE_AXES)
                .local_frame1(frame1)
                .local_frame2(Pose::from_rotation(to_axis))
                .limits(JointAxis::AngX, [joint.lower_rad, joint.upper_rad])
                .motor_model(JointAxis::AngX, MotorModel::AccelerationBased)
                .motor_position(JointAxis::AngX, target, gains.stiffness, gains.damping)
                .motor_max_force(JointAxis::AngX, joint.max_effort_nm)
                .contacts_enabled(false);
            let handle = world
                .multibody_joints
                .insert(links[i], links[i + 1], data, true)
                .ok_or_else(|| SimError::Multibody { joint: joint.name.clone() })?;
            joints.push(handle);
        }

        let arm_body = Self {
            links,
            joints,
            colliders,
            cup: cup.expect("the cup index was checked against the last link"),
            tool_offset: to_pose(arm.tool_offset),
            gains,
        };
        arm_body.place_at(world, start);
        Ok(arm_body)
    }

    /// Writes the start configuration into the multibody's coordinates. Called once before the
    /// first step; afterwards only the motors move the arm.
    fn place_at(&self, world: &mut PhysicsWorld, q: &[f32]) {
        let (multibody, _) = world
            .multibody_joints
            .get_mut(self.joints[0])
            .expect("the arm's joints were just inserted");
        multibody.set_self_contacts_enabled(false);
        // The first forward-kinematics pass turns the fixed base into a zero-DOF root, so that
        // the generalized coordinates are exactly the revolute angles.
        multibody.forward_kinematics(&world.bodies, true);
        let mut displacement = vec![0.0; multibody.ndofs()];
        for (link, &angle) in multibody.links().skip(1).zip(q) {
            displacement[link.assembly_id()] = angle;
        }
        multibody.apply_displacements(&displacement);
        multibody.forward_kinematics(&world.bodies, true);
        multibody.update_rigid_bodies(&mut world.bodies, true);
    }

    /// Measured joint angles, radians.
    pub fn joint_positions(&self, world: &PhysicsWorld) -> Vec<f32> {
        self.joints
            .iter()
            .map(|&handle| {
                let (multibody, link) = world.multibody_joints.get(handle).expect("arm joint exists");
                let coords = multibody.link(link).expect("arm link exists").joint().coords();
                coords[JointAxis::AngX as usize]
            })
            .collect()
    }

    /// Sets the motors' position targets, radians.
    pub fn set_targets(&self, world: &mut PhysicsWorld, targets: &[f32]) {
        for (&handle, &target) in self.joints.iter().zip(targets) {
            let (multibody, link) = world.multibody_joints.get_mut(handle).expect("arm joint exists");
            let link = multibody.link_mut(link).expect("arm link exists");
            link.joint
                .data
                .set_motor_position(JointAxis::AngX, target, self.gains.stiffness, self.gains.damping);
        }
    }

    /// World pose of every link.
    pub fn link_poses(&self, world: &PhysicsWorld) -> Vec<(Vec3, Quat)> {
        self.links
            .iter()
            .map(|&handle| {
                let pose = world.bodies[handle].position();
                (pose.translation, pose.rotation)
            })
            .collect()
    }

    /// World pose of the tool frame.
    pub fn tool_pose(&self, world: &PhysicsWorld) -> Pose {
        let last = *self.links.last().expect("the arm has links");
        *world.bodies[last].position() * self.tool_offset
    }

    pub fn tool_body(&self) -> RigidBodyHandle {
        *self.links.last().expect("the arm has links")
    }
}

/// Converts a Bevy isometry to a Rapier pose.
pub(crate) fn to_pose(isometry: Isometry3d) -> Pose {
    Pose::from_parts(Vec3::from(isometry.translation), isometry.rotation)
}
