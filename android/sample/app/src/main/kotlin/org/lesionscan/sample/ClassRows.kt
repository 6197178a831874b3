// The ranked classes as rows of name, probability bar and percentage.
package org.lesionscan.sample

import android.view.ViewGroup
import android.widget.LinearLayout
import android.widget.ProgressBar
import android.widget.TextView
import java.util.Locale
import org.lesionscan.Category

fun percent(probability: Float): String = String.format(Locale.getDefault(), "%.1f %%", probability * 100)

/** Replaces the rows in [into] with one per category: its name, a bar as long as its probability, the percentage. */
fun showClasses(into: LinearLayout, categories: List<Category>) {
    into.removeAllViews()
    val context = into.context
    for (category in categories) {
        val name = TextView(context).apply {
            text = if (category.malignant) "${category.name} (malignant class)" else category.name
            textSize = 15f
        }
        val bar = ProgressBar(context, null, 0, android.R.style.Widget_Material_ProgressBar_Horizontal).apply {
            max = 1000
            progress = (category.probability * 1000).toInt()
            contentDescription = "${category.name} ${percent(category.probability)}"
        }
        val value = TextView(context).apply {
            text = percent(category.probability)
            textSize = 13f
        }
        into.addView(name)
        into.addView(bar, LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, ViewGroup.LayoutParams.WRAP_CONTENT))
        into.addView(value)
    }
}
