//! Decoding of texture readbacks into frame images.
//!
//! wgpu copies textures into buffers whose rows are padded to
//! `COPY_BYTES_PER_ROW_ALIGNMENT` (256) bytes, so each row is read at its aligned offset.

use std::collections::HashMap;
use wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;

use bevy::prelude::*;
use bevy::render::gpu_readback::ReadbackComplete;
use image::RgbImage;

use crate::observe::frame::{BACKGROUND_ID, DepthImage, InstanceImage};

/// Bytes per pixel of the colour target (`Rgba8UnormSrgb`).
pub const COLOR_PIXEL_BYTES: usize = 4;
/// Bytes per pixel of the id/depth target (`Rgba32Float`).
pub const ID_DEPTH_PIXEL_BYTES: usize = 16;

/// Length of one padded row in a readback buffer.
pub fn padded_row_bytes(width: u32, pixel_bytes: usize) -> usize {
    let alignment = COPY_BYTES_PER_ROW_ALIGNMENT as usize;
    (width as usize * pixel_bytes).div_ceil(alignment) * alignment
}

/// Splits a readback buffer into its `height` unpadded rows.
fn rows(data: &[u8], width: u32, height: u32, pixel_bytes: usize) -> impl Iterator<Item = &[u8]> {
    let stride = padded_row_bytes(width, pixel_bytes);
    let row_bytes = width as usize * pixel_bytes;
    assert!(
        data.len() >= stride * height as usize,
        "readback holds {} bytes, expected {} for {width}x{height}",
        data.len(),
        stride * height as usize
    );
    (0..height as usize).map(move |row| &data[row * stride..row * stride + row_bytes])
}

/// sRGB colour image from an `Rgba8UnormSrgb` readback (alpha dropped).
pub fn decode_color(data: &[u8], width: u32, height: u32) -> RgbImage {
    let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
    for row in rows(data, width, height, COLOR_PIXEL_BYTES) {
        for pixel in row.chunks_exact(COLOR_PIXEL_BYTES) {
            rgb.extend_from_slice(&pixel[..3]);
        }
    }
    RgbImage::from_raw(width, height, rgb).expect("buffer length matches the image size")
}

/// Depth and instance images from an `Rgba32Float` readback written by `id_depth.wgsl`:
/// red is the instance id and green the optical-axis depth; zero depth marks background.
pub fn decode_id_depth(data: &[u8], width: u32, height: u32) -> (DepthImage, InstanceImage) {
    let count = width as usize * height as usize;
    let mut depth = Vec::with_capacity(count);
    let mut ids = Vec::with_capacity(count);
    for row in rows(data, width, height, ID_DEPTH_PIXEL_BYTES) {
        for pixel in row.chunks_exact(ID_DEPTH_PIXEL_BYTES) {
            let channel = |index: usize| {
                let bytes = &pixel[4 * index..4 * index + 4];
                f32::from_le_bytes(bytes.try_into().expect("four bytes per channel"))
            };
            let (id, distance) = (channel(0), channel(1));
            if distance > 0.0 {
                depth.push(distance);
                ids.push(id.round().clamp(0.0, f32::from(u16::MAX)) as u16);
            } else {
                depth.push(f32::INFINITY);
                ids.push(BACKGROUND_ID);
            }
        }
    }
    (
        DepthImage {
            width,
            height,
            data: depth,
        },
        InstanceImage {
            width,
            height,
            data: ids,
        },
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Pass {
    Color,
    IdDepth,
}

/// Marks a readback entity with the view and pass it copies.
#[derive(Component, Debug, Clone, Copy)]
pub(super) struct ReadbackRequest {
    pub view: usize,
    pub pass: Pass,
}

/// Readback bytes received for the current capture, by view and pass.
#[derive(Resource, Default)]
pub(super) struct ReadbackStore(pub HashMap<(usize, Pass), Vec<u8>>);

pub(super) fn store_readback(
    event: On<ReadbackComplete>,
    requests: Query<&ReadbackRequest>,
    mut store: ResMut<ReadbackStore>,
) {
    if let Ok(request) = requests.get(event.entity) {
        store
            .0
            .insert((request.view, request.pass), event.data.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_rows_skip_padding() {
        // 3 pixels of 4 bytes = 12 bytes per row, padded to 256.
        let (width, height) = (3, 2);
        let stride = padded_row_bytes(width, COLOR_PIXEL_BYTES);
        assert_eq!(stride, 256);
        let mut data = vec![0xEE; stride * 2];
        for row in 0..2usize {
            for column in 0..3usize {
                let offset = row * stride + column * 4;
                data[offset..offset + 4].copy_from_slice(&[row as u8, column as u8, 7, 255]);
            }
        }
        let image = decode_color(&data, width, height);
        assert_eq!(image.get_pixel(2, 1).0, [1, 2, 7]);
        assert_eq!(image.get_pixel(0, 0).0, [0, 0, 7]);
    }

    #[test]
    fn id_depth_marks_background() {
        let (width, height) = (2, 1);
        let mut data = vec![0u8; padded_row_bytes(width, ID_DEPTH_PIXEL_BYTES)];
        for (index, value) in [5.0f32, 1.25, 0.0, 1.0].iter().enumerate() {
            data[4 * index..4 * index + 4].copy_from_slice(&value.to_le_bytes());
        }
        let (depth, ids) = decode_id_depth(&data, width, height);
        assert_eq!(ids.get(0, 0), 5);
        assert_eq!(depth.get(0, 0), 1.25);
        assert_eq!(ids.get(1, 0), BACKGROUND_ID);
        assert_eq!(depth.get(1, 0), f32::INFINITY);
    }
}
