// The centring guide drawn over the camera preview, and the region of interest it stands for.
package org.lesionscan.sample

import android.content.Context
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.graphics.Path
import android.graphics.RectF
import android.util.AttributeSet
import android.view.View
import org.lesionscan.Roi

/**
 * The guide is a square, centred, [SIDE] of the width of the upright 3:4 camera frame (the
 * activity is portrait-only and asks CameraX for 4:3). [ROI] is that square in fractions of
 * the frame, so the model sees exactly what is inside the guide, undistorted.
 */
object Guide {
    const val SIDE = 0.6f
    private const val ASPECT = 3f / 4f // upright width / height

    val ROI = Roi(
        x = (1 - SIDE) / 2,
        y = (1 - SIDE * ASPECT) / 2,
        width = SIDE,
        height = SIDE * ASPECT,
    )

    /** The guide's square inside a view of [width] x [height] showing the frame with FIT_CENTER. */
    fun square(width: Float, height: Float): RectF {
        val frameWidth = minOf(width, height * ASPECT)
        val side = frameWidth * SIDE
        val left = (width - side) / 2
        val top = (height - side) / 2
        return RectF(left, top, left + side, top + side)
    }
}

/** Dims everything outside the guide; the outline turns green once the answer is stable. */
class GuideView(context: Context, attrs: AttributeSet?) : View(context, attrs) {
    var stable = false
        set(value) {
            if (field != value) {
                field = value
                invalidate()
            }
        }

    private val shade = Paint().apply { color = Color.argb(120, 0, 0, 0) }
    private val outline = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        style = Paint.Style.STROKE
        strokeWidth = 6f
    }

    override fun onDraw(canvas: Canvas) {
        super.onDraw(canvas)
        val square = Guide.square(width.toFloat(), height.toFloat())
        val outside = Path().apply {
            fillType = Path.FillType.EVEN_ODD
            addRect(0f, 0f, width.toFloat(), height.toFloat(), Path.Direction.CW)
            addRect(square, Path.Direction.CW)
        }
        canvas.drawPath(outside, shade)
        outline.color = if (stable) Color.rgb(0, 200, 83) else Color.WHITE
        canvas.drawRect(square, outline)
    }
}
