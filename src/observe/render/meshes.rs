//! Triangle meshes for [`Geometry`], built from the same constants as the physics colliders.
//!
//! Every function returns meshes with their pose in the part frame, Z up. Bevy's primitive
//! cylinders are Y-aligned, so they are rotated by +90° about X.

use std::f32::consts::{FRAC_PI_2, TAU};

use bevy::asset::RenderAssetUsages;
use bevy::math::primitives::{Cuboid, Cylinder, Sphere};
use bevy::math::{Quat, Vec2, Vec3};
use bevy::mesh::{Indices, Mesh, MeshBuilder, Meshable, PrimitiveTopology};
use bevy::transform::components::Transform;

use super::bodies::Geometry;
use crate::scene::Shape;
use crate::scene::shape::{
    BOTTLE_NECK_HEIGHT_RATIO, BOTTLE_NECK_RADIUS_RATIO, BOWL_WALL_RATIO, MUG_HANDLE_HEIGHT_RATIO,
    MUG_HANDLE_REACH_RATIO,
};

/// Radius of a bowl's flat bottom relative to its rim radius.
// NOTE: `scene::shape` does not define the bowl's bottom radius; the physics collider must use
// the same ratio for the render and collision shapes to agree.
pub const BOWL_BOTTOM_RADIUS_RATIO: f32 = 0.6;
/// Thickness of the mug handle's bars relative to the handle's reach.
const MUG_HANDLE_BAR_RATIO: f32 = 0.35;
/// Segments around the axis of round meshes.
const ROUND_RESOLUTION: u32 = 32;

/// Meshes of one geometry, each with its transform in the part frame.
pub fn geometry_meshes(geometry: &Geometry) -> Vec<(Mesh, Transform)> {
    match *geometry {
        Geometry::Box { size } => vec![box_mesh(size, Vec3::ZERO)],
        Geometry::Cylinder { radius, length } => vec![z_cylinder(radius, length, Vec3::ZERO)],
        Geometry::Sphere { radius } => vec![sphere_mesh(radius)],
        Geometry::Shape(shape) => shape_meshes(&shape),
    }
}

fn shape_meshes(shape: &Shape) -> Vec<(Mesh, Transform)> {
    match *shape {
        Shape::Box { size } => vec![box_mesh(Vec3::from(size), Vec3::ZERO)],
        Shape::Cylinder { radius, height } => vec![z_cylinder(radius, height, Vec3::ZERO)],
        Shape::Ball { radius } => vec![sphere_mesh(radius)],
        Shape::Mug { radius, height } => mug_meshes(radius, height),
        Shape::Bottle { radius, height } => bottle_meshes(radius, height),
        Shape::Bowl { radius, height } => vec![(bowl_mesh(radius, height), Transform::IDENTITY)],
        Shape::Bin { size, wall } => bin_meshes(Vec3::from(size), wall),
    }
}

fn box_mesh(size: Vec3, center: Vec3) -> (Mesh, Transform) {
    (
        Mesh::from(Cuboid::from_size(size)),
        Transform::from_translation(center),
    )
}

fn z_cylinder(radius: f32, length: f32, center: Vec3) -> (Mesh, Transform) {
    let mesh = Cylinder::new(radius, length)
        .mesh()
        .resolution(ROUND_RESOLUTION)
        .build();
    let transform =
        Transform::from_translation(center).with_rotation(Quat::from_rotation_x(FRAC_PI_2));
    (mesh, transform)
}

fn sphere_mesh(radius: f32) -> (Mesh, Transform) {
    let mesh = Sphere::new(radius)
        .mesh()
        .uv(ROUND_RESOLUTION, ROUND_RESOLUTION / 2);
    (mesh, Transform::IDENTITY)
}

/// Builds a mug: a closed cylinder and a C-shaped handle of three bars on its +X side. The handle reaches
/// `MUG_HANDLE_REACH_RATIO * radius` beyond the wall and spans `MUG_HANDLE_HEIGHT_RATIO * height`
/// about mid-height.
fn mug_meshes(radius: f32, height: f32) -> Vec<(Mesh, Transform)> {
    let reach = MUG_HANDLE_REACH_RATIO * radius;
    let handle_height = MUG_HANDLE_HEIGHT_RATIO * height;
    let bar = MUG_HANDLE_BAR_RATIO * reach;
    let outer_x = radius + reach;

    let grip = box_mesh(
        Vec3::new(bar, bar, handle_height),
        Vec3::new(outer_x - 0.5 * bar, 0.0, 0.0),
    );
    // The top and bottom bars start inside the wall so the handle meets the curved surface.
    let inner_x = radius - bar;
    let arm_size = Vec3::new(outer_x - inner_x, bar, bar);
    let arm_x = 0.5 * (outer_x + inner_x);
    let arm_z = 0.5 * (handle_height - bar);
    vec![
        z_cylinder(radius, height, Vec3::ZERO),
        grip,
        box_mesh(arm_size, Vec3::new(arm_x, 0.0, arm_z)),
        box_mesh(arm_size, Vec3::new(arm_x, 0.0, -arm_z)),
    ]
}

/// Builds a bottle: a body cylinder with a narrower neck cylinder on top.
fn bottle_meshes(radius: f32, height: f32) -> Vec<(Mesh, Transform)> {
    let neck_height = BOTTLE_NECK_HEIGHT_RATIO * height;
    let body_height = height - neck_height;
    let neck_radius = BOTTLE_NECK_RADIUS_RATIO * radius;
    vec![
        z_cylinder(
            radius,
            body_height,
            Vec3::new(0.0, 0.0, -0.5 * height + 0.5 * body_height),
        ),
        z_cylinder(
            neck_radius,
            neck_height,
            Vec3::new(0.0, 0.0, 0.5 * height - 0.5 * neck_height),
        ),
    ]
}

/// Builds an open-top bin: a floor and four walls of thickness `wall`, all starting at the bottom.
fn bin_meshes(size: Vec3, wall: f32) -> Vec<(Mesh, Transform)> {
    let half = 0.5 * size;
    let x_wall = Vec3::new(wall, size.y, size.z);
    let y_wall = Vec3::new(size.x - 2.0 * wall, wall, size.z);
    vec![
        box_mesh(
            Vec3::new(size.x, size.y, wall),
            Vec3::new(0.0, 0.0, -half.z + 0.5 * wall),
        ),
        box_mesh(x_wall, Vec3::new(half.x - 0.5 * wall, 0.0, 0.0)),
        box_mesh(x_wall, Vec3::new(-half.x + 0.5 * wall, 0.0, 0.0)),
        box_mesh(y_wall, Vec3::new(0.0, half.y - 0.5 * wall, 0.0)),
        box_mesh(y_wall, Vec3::new(0.0, -half.y + 0.5 * wall, 0.0)),
    ]
}

/// Builds a bowl: a flat bottom of radius `BOWL_BOTTOM_RADIUS_RATIO * radius` and a straight sloped
/// wall up to the rim, both `BOWL_WALL_RATIO * radius` thick.
fn bowl_mesh(radius: f32, height: f32) -> Mesh {
    let wall = BOWL_WALL_RATIO * radius;
    let bottom_radius = BOWL_BOTTOM_RADIUS_RATIO * radius;
    let bottom = -0.5 * height;
    let top = 0.5 * height;
    // Profile in (radial distance, z), walked around the solid's cross-section.
    let profile = [
        Vec2::new(0.0, bottom),
        Vec2::new(bottom_radius, bottom),
        Vec2::new(radius, top),
        Vec2::new(radius - wall, top),
        Vec2::new(bottom_radius - wall, bottom + wall),
        Vec2::new(0.0, bottom + wall),
    ];
    lathe_mesh(&profile, ROUND_RESOLUTION)
}

/// Surface of revolution about Z of a polyline profile given as (radius, z) points.
///
/// Each profile segment gets its own ring of vertices with a flat normal, so creases stay
/// sharp. The normal of segment `a → b` is `(b - a)` turned clockwise, so the profile must be
/// walked with the solid's interior on its left (counter-clockwise in the (radius, z) plane).
pub fn lathe_mesh(profile: &[Vec2], segments: u32) -> Mesh {
    let mut positions: Vec<[f32; 3]> = Vec::new();
    let mut normals: Vec<[f32; 3]> = Vec::new();
    let mut uvs: Vec<[f32; 2]> = Vec::new();
    let mut indices: Vec<u32> = Vec::new();

    for (segment_index, pair) in profile.windows(2).enumerate() {
        let (a, b) = (pair[0], pair[1]);
        let direction = b - a;
        let normal_2d = Vec2::new(direction.y, -direction.x).normalize_or_zero();
        let v0 = segment_index as f32 / (profile.len() - 1) as f32;
        let v1 = (segment_index + 1) as f32 / (profile.len() - 1) as f32;
        let base = positions.len() as u32;

        for step in 0..=segments {
            let u = step as f32 / segments as f32;
            let (sin, cos) = (u * TAU).sin_cos();
            let normal = [normal_2d.x * cos, normal_2d.x * sin, normal_2d.y];
            for (point, v) in [(a, v0), (b, v1)] {
                positions.push([point.x * cos, point.x * sin, point.y]);
                normals.push(normal);
                uvs.push([u, v]);
            }
        }

        for step in 0..segments {
            let a0 = base + 2 * step;
            let b0 = a0 + 1;
            let a1 = a0 + 2;
            let b1 = a0 + 3;
            for triangle in [[a0, a1, b0], [b0, a1, b1]] {
                push_outward_triangle(&mut indices, &positions, &normals, triangle);
            }
        }
    }

    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::default(),
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
    .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, uvs)
    .with_inserted_indices(Indices::U32(indices))
}

/// Appends a triangle wound counter-clockwise when seen from the side its normals point to,
/// and drops triangles that collapse onto the axis.
fn push_outward_triangle(
    indices: &mut Vec<u32>,
    positions: &[[f32; 3]],
    normals: &[[f32; 3]],
    [i, j, k]: [u32; 3],
) {
    let p = |index: u32| Vec3::from(positions[index as usize]);
    let face_normal = (p(j) - p(i)).cross(p(k) - p(i));
    if face_normal.length_squared() < 1e-18 {
        return;
    }
    let expected = Vec3::from(normals[i as usize]) + Vec3::from(normals[k as usize]);
    if face_normal.dot(expected) >= 0.0 {
        indices.extend([i, j, k]);
    } else {
        indices.extend([i, k, j]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::mesh::VertexAttributeValues;

    fn world_bounds(meshes: &[(Mesh, Transform)]) -> (Vec3, Vec3) {
        let mut min = Vec3::splat(f32::INFINITY);
        let mut max = Vec3::splat(f32::NEG_INFINITY);
        for (mesh, transform) in meshes {
            let Some(VertexAttributeValues::Float32x3(positions)) =
                mesh.attribute(Mesh::ATTRIBUTE_POSITION)
            else {
                panic!("mesh has no float positions");
            };
            for position in positions {
                let point = transform.transform_point(Vec3::from(*position));
                min = min.min(point);
                max = max.max(point);
            }
        }
        (min, max)
    }

    fn assert_close(actual: Vec3, expected: Vec3) {
        assert!(
            actual.abs_diff_eq(expected, 1e-5),
            "expected {expected}, got {actual}"
        );
    }

    #[test]
    fn cylinder_stands_along_z() {
        let meshes = geometry_meshes(&Geometry::Cylinder {
            radius: 0.1,
            length: 0.6,
        });
        let (min, max) = world_bounds(&meshes);
        assert_close(min, Vec3::new(-0.1, -0.1, -0.3));
        assert_close(max, Vec3::new(0.1, 0.1, 0.3));
    }

    #[test]
    fn mug_handle_reaches_footprint_on_plus_x() {
        let shape = Shape::Mug {
            radius: 0.04,
            height: 0.1,
        };
        let (min, max) = world_bounds(&geometry_meshes(&Geometry::Shape(shape)));
        assert!(
            (max.x - shape.footprint_radius()).abs() < 1e-5,
            "max x = {}",
            max.x
        );
        assert!((min.x + 0.04).abs() < 1e-5, "min x = {}", min.x);
        assert!((max.z - 0.05).abs() < 1e-5, "max z = {}", max.z);
        assert!((min.z + 0.05).abs() < 1e-5, "min z = {}", min.z);
    }

    #[test]
    fn bowl_and_bin_fill_their_bounding_boxes() {
        let bowl = Shape::Bowl {
            radius: 0.08,
            height: 0.05,
        };
        let (min, max) = world_bounds(&geometry_meshes(&Geometry::Shape(bowl)));
        assert_close(min, Vec3::new(-0.08, -0.08, -0.025));
        assert_close(max, Vec3::new(0.08, 0.08, 0.025));

        let bin = Shape::Bin {
            size: [0.3, 0.2, 0.1],
            wall: 0.01,
        };
        let (min, max) = world_bounds(&geometry_meshes(&Geometry::Shape(bin)));
        assert_close(min, Vec3::new(-0.15, -0.1, -0.05));
        assert_close(max, Vec3::new(0.15, 0.1, 0.05));
    }

    #[test]
    fn lathe_triangles_face_their_normals() {
        let mesh = bowl_mesh(0.08, 0.05);
        let Some(VertexAttributeValues::Float32x3(positions)) =
            mesh.attribute(Mesh::ATTRIBUTE_POSITION)
        else {
            panic!("bowl has no float positions");
        };
        let Some(VertexAttributeValues::Float32x3(normals)) =
            mesh.attribute(Mesh::ATTRIBUTE_NORMAL)
        else {
            panic!("bowl has no float normals");
        };
        let indices: Vec<usize> = mesh.indices().expect("bowl is indexed").iter().collect();
        assert!(!indices.is_empty());
        for triangle in indices.chunks(3) {
            let p: Vec<Vec3> = triangle.iter().map(|&i| Vec3::from(positions[i])).collect();
            let face = (p[1] - p[0]).cross(p[2] - p[0]);
            let normal = Vec3::from(normals[triangle[0]]);
            assert!(face.dot(normal) > 0.0, "triangle {triangle:?} faces inward");
        }
    }
}
