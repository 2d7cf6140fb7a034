// Instance id and metric depth pass.
//
// Writes the body's instance id to red and the distance along the camera's optical axis
// (metres) to green. The target is Rgba32Float so both survive exactly; background pixels
// keep the clear value (0, 0, 0, 0).

#import bevy_pbr::{
    forward_io::VertexOutput,
    mesh_view_bindings::view,
}

struct IdDepthMaterial {
    instance_id: u32,
}

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> material: IdDepthMaterial;

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    // Bevy views look along -Z, so the optical-axis distance is the negated view-space z.
    let view_position = view.view_from_world * vec4<f32>(in.world_position.xyz, 1.0);
    return vec4<f32>(f32(material.instance_id), -view_position.z, 0.0, 1.0);
}
